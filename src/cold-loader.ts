/** The cold chunk (brotli, base64), passed in by the bundle's wrapper (scripts/build.mjs); absent in tests. */
declare const PORTCULLIS_COLD_CHUNK: (() => string) | undefined;

type ColdModule = typeof import('./cold.js');
let cold: ColdModule | undefined;

/**
 * Loads the cold chunk on first use. In the bundle it is a string compiled here, so V8
 * never parses zod on the hot path; in the test build it is an ordinary module.
 */
export function loadCold(): ColdModule {
  if (cold !== undefined) return cold;
  if (typeof PORTCULLIS_COLD_CHUNK === 'function') {
    const module = { exports: {} as ColdModule };
    // Required here, not at the top: each costs milliseconds to load, and only this path needs them.
    const { runInThisContext } = require('node:vm') as typeof import('node:vm');
    const { brotliDecompressSync } = require('node:zlib') as typeof import('node:zlib');
    const source = brotliDecompressSync(Buffer.from(PORTCULLIS_COLD_CHUNK(), 'base64')).toString('utf8');
    // `[function …][0]`, not `(function …)`: V8 compiles a parenthesised function eagerly,
    // which costs about 8 ms more for this chunk.
    const factory = runInThisContext(`[function (exports, require, module) {${source}\n}][0]`, { filename: 'portcullis-cold.js' }) as (
      exports: unknown,
      require: NodeJS.Require,
      module: { exports: ColdModule },
    ) => void;
    factory(module.exports, require, module);
    cold = module.exports;
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cold = require('./cold.js') as ColdModule;
  }
  return cold;
}
