import { userInfo } from 'node:os';
import { loadCold } from './cold-loader.js';
import { runSign } from './cli/sign.js';
import { HELP_TEXT, VERSION } from './cli/version.js';
import { assertNever } from './errors.js';
import type { AbortWatch } from './exec/index.js';
import { parseInvocation } from './invocation/index.js';
import { FdWriter } from './output/fd-writer.js';
import { serve } from './run.js';

/** The only place that touches the process: argv, env, stdin, signals, exit. */
let answered = false;

async function main(): Promise<number> {
  // Node's spawn copies NODE_V8_COVERAGE into any explicit child environment; the
  // environment of an action must be exactly the configured one (CONTRACT §7.1).
  delete process.env.NODE_V8_COVERAGE;
  const env = process.env;
  const invocation = parseInvocation(process.argv.slice(2), env, process.argv[1]);
  switch (invocation.mode) {
    case 'version':
      writeStdout(`portcullis ${VERSION}\n`);
      return 0;
    case 'help':
      writeStdout(HELP_TEXT);
      return 0;
    case 'check':
      return loadCold().runCheck(invocation.args, { env, out: writeStdout });
    case 'sign':
      return runSign(invocation.args, { env, out: writeStdout, err: writeStderr });
    case 'serve':
    case 'bad-options':
      return serve(invocation, {
        env,
        stdin: () => process.stdin,
        user: accountName(),
        pid: process.pid,
        now: () => Date.now(),
        abort: watchForAbort(),
        writeStdout: (text) => {
          answered = true;
          writeStdout(text);
        },
        writeStderr,
      });
    default:
      return assertNever(invocation);
  }
}

/**
 * Aborts on SIGHUP/SIGTERM/SIGINT, and when sshd has gone: OpenSSH sends no signal when the
 * client disconnects, its session process exits and we are re-parented (CONTRACT §7.1).
 */
function watchForAbort(): AbortWatch {
  const watch = new ProcessAbort();
  const abort = (): void => watch.abort();
  for (const signal of ['SIGHUP', 'SIGTERM', 'SIGINT'] as const) process.on(signal, abort);
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) abort();
  }, 500).unref();
  return watch;
}

/** Fires its listeners once, on the first abort; listeners added later see `aborted`. */
class ProcessAbort implements AbortWatch {
  aborted = false;
  private readonly listeners = new Set<() => void>();

  addEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.add(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.delete(listener);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    for (const listener of [...this.listeners]) listener();
  }
}

function accountName(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}

const stdout = new FdWriter(1, () => process.stdout);
const stderr = new FdWriter(2, () => process.stderr);
const writeStdout = (text: string): void => stdout.write(text);
const writeStderr = (text: string): void => stderr.write(text);

/** Exits once the answer has reached the reader: process.exit() drops queued writes. */
async function exitWhenFlushed(status: number): Promise<never> {
  await Promise.all([stdout.flushed(), stderr.flushed()]);
  process.exit(status);
}

/** Last resort for a bug: one answer at most, never a stack trace. */
function failHard(): void {
  if (!answered) {
    answered = true;
    writeStdout('{"v":1,"request_id":null,"ok":false,"error":{"code":"service_unavailable","message":"service unavailable"}}\n');
    writeStderr('portcullis: service_unavailable: service unavailable\n');
  }
  void exitWhenFlushed(129);
}
process.on('uncaughtException', failHard);
process.on('unhandledRejection', failHard);

main().then(exitWhenFlushed, failHard);
