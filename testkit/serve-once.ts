import { Readable } from 'node:stream';
import { parseInvocation } from '../src/invocation/index.js';
import type { ByteSink } from '../src/output/index.js';
import { serve } from '../src/run.js';
import { parseSingleJsonLine, type SshResult } from './sshd.js';

export interface ServeOnceOptions {
  readonly argv?: readonly string[];
  readonly env?: Record<string, string>;
  readonly stdin?: Buffer | string;
  /** Replaces the stdin stream altogether (to simulate a failure). */
  readonly stdinStream?: () => Readable;
  /** Stands for SIGHUP/SIGTERM/SIGINT or a lost client (main.ts's watch). */
  readonly abort?: AbortSignal;
  /** Receives the syslog lines of the request (the bundle's real path is tested through logger). */
  readonly syslog?: string[];
}

/**
 * Serves one request in-process through the real orchestrator (real config file, real
 * audit log, real child processes), as sshd's form A would: request in SSH_ORIGINAL_COMMAND.
 */
export async function serveOnce(configPath: string, request: string | null, options: ServeOnceOptions = {}): Promise<SshResult> {
  const env: Record<string, string> = { PORTCULLIS_CONFIG: configPath, ...options.env };
  if (request !== null) env.SSH_ORIGINAL_COMMAND = request;
  const invocation = parseInvocation(options.argv ?? ['--level', 'read'], env);
  if (invocation.mode !== 'serve' && invocation.mode !== 'bad-options') throw new Error(`not a serve invocation: ${invocation.mode}`);
  let stdout = '';
  let stderr = '';
  const status = await serve(invocation, {
    env,
    stdin: options.stdinStream ?? (() => Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)])),
    user: 'attacker',
    pid: process.pid,
    now: () => Date.now(),
    abort: options.abort ?? new AbortController().signal,
    writeStdout: (text) => (stdout += text),
    writeStderr: (text) => (stderr += text),
    writeStderrAnswer: (text) => (stderr += text),
    rawStdout: () => memorySink((chunk) => (stdout += chunk.toString('latin1'))),
    syslog: (line) => options.syslog?.push(line),
    openSession: () => ({
      input: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
      write: async (line) => void (stdout += line),
      flushed: async () => undefined,
      readerGone: false,
    }),
  });
  return { status, stdout, stderr, json: parseSingleJsonLine(stdout) };
}

/** A ByteSink that takes everything at once: a reader that never lags. */
function memorySink(take: (chunk: Buffer) => void): ByteSink {
  return {
    write: (chunk) => (take(chunk), true),
    onceDrained: (callback) => callback(),
    onGone: () => undefined,
    flushed: async () => undefined,
    readerGone: false,
  };
}
