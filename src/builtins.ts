/**
 * Heavy built-in modules, loaded on first use. A one-shot call pays start-up time for every
 * module it loads (1–5 ms each), so paths that do not need them must not load them
 * (issue 7, ADR 0009). Types only are imported statically.
 */
type Crypto = typeof import('node:crypto');
type ChildProcessModule = typeof import('node:child_process');
type Net = typeof import('node:net');

let crypto: Crypto | undefined;
let childProcess: ChildProcessModule | undefined;
let net: Net | undefined;

export function nodeCrypto(): Crypto {
  return (crypto ??= require('node:crypto') as Crypto);
}

export function nodeChildProcess(): ChildProcessModule {
  return (childProcess ??= require('node:child_process') as ChildProcessModule);
}

/** Only a session or a raw action needs it: their libuv streams on fd 1 and on a FIFO. */
export function nodeNet(): Net {
  return (net ??= require('node:net') as Net);
}
