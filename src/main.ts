import { userInfo } from 'node:os';
import { loadCold } from './cold-loader.js';
import { runSign } from './cli/sign.js';
import { HELP_TEXT, VERSION } from './cli/version.js';
import { assertNever } from './errors.js';
import { parseInvocation } from './invocation/index.js';
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
      process.stdout.write(`portcullis ${VERSION}\n`);
      return 0;
    case 'help':
      process.stdout.write(HELP_TEXT);
      return 0;
    case 'check':
      return loadCold().runCheck(invocation.args, { env, out: (t) => process.stdout.write(t) });
    case 'sign':
      return runSign(invocation.args, { env, out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
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
          process.stdout.write(text);
        },
        writeStderr: (text) => process.stderr.write(text),
      });
    default:
      return assertNever(invocation);
  }
}

/**
 * Aborts on SIGHUP/SIGTERM/SIGINT, and when sshd has gone: OpenSSH sends no signal when the
 * client disconnects, its session process exits and we are re-parented (CONTRACT §7.1).
 */
function watchForAbort(): AbortSignal {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  for (const signal of ['SIGHUP', 'SIGTERM', 'SIGINT'] as const) process.on(signal, abort);
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) abort();
  }, 500).unref();
  return controller.signal;
}

function accountName(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}

// A closed stdout (client gone) must not crash us before the audit outcome is written.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

/** Last resort for a bug: one answer at most, never a stack trace. */
function failHard(): void {
  if (!answered) {
    answered = true;
    process.stdout.write('{"v":1,"request_id":null,"ok":false,"error":{"code":"service_unavailable","message":"service unavailable"}}\n');
    process.stderr.write('portcullis: service_unavailable: service unavailable\n');
  }
  process.exit(129);
}
process.on('uncaughtException', failHard);
process.on('unhandledRejection', failHard);

main().then((status) => process.exit(status), failHard);
