import { runningAccount } from './auth/index.js';
import { loadBridge } from './bridge-loader.js';
import { loadCold } from './cold-loader.js';
import { HELP_TEXT, VERSION } from './cli/version.js';
import { assertNever } from './errors.js';
import { ProcessAbort, clientPresence, type AbortWatch } from './exec/index.js';
import { parseInvocation } from './invocation/index.js';
import { FdByteSink } from './output/raw-writer.js';
import { StdioWriter } from './output/stdio-writer.js';
import { syslogSocket, syslogWriter } from './output/syslog.js';
import { SessionWriter } from './session/writer.js';
import { serve } from './run.js';

/** The only place that touches the process: argv, env, stdin, signals, exit. */
let answered = false;
let rawStarted = false;

async function main(): Promise<number> {
  // Node's spawn copies NODE_V8_COVERAGE into any explicit child environment; the
  // environment of an action must be exactly the configured one (docs/protocol.md §7.1).
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
      return loadCold().runCheck(invocation.args, { env, out: writeStdout, err: writeStderr });
    case 'sign':
      return loadCold().runSign(invocation.args, { env, out: writeStdout, err: writeStderr });
    case 'unlock':
      return loadCold().runUnlock(invocation.args, { env, out: writeStdout, err: writeStderr });
    case 'verify-audit':
      return loadCold().runVerifyAudit(invocation.args, { env, out: writeStdout, err: writeStderr });
    case 'audit':
      return loadCold().runAudit(invocation.args, { env, out: writeStdout, err: writeStderr });
    case 'mcp':
      // stdout is the MCP stream from here: a last-resort failure must not write an answer on it.
      answered = true;
      return loadBridge().runMcp(invocation.args, { env, out: writeStdout, err: writeStderr });
    case 'serve':
    case 'bad-options':
      return serve(invocation, {
        env,
        stdin: () => process.stdin,
        user: runningAccount(),
        pid: process.pid,
        now: () => Date.now(),
        abort: watchForAbort(),
        clientGone: clientPresence(process.ppid, env.SSH_CONNECTION !== undefined),
        writeStdout: (text) => {
          answered = true;
          // The action is over and its outcome logged: from here a signal may end us at
          // once, even while a reader that stopped reading holds the write (ADR 0012).
          releaseSignals();
          writeStdout(text);
        },
        writeStderr,
        writeStderrAnswer: (text) => {
          answered = true;
          releaseSignals();
          writeStderr(text);
        },
        rawStdout: () => {
          // From here stdout is the download: a last-resort answer must not land in it.
          rawStarted = true;
          return new FdByteSink(1);
        },
        syslog: syslog(),
        openSession: () => {
          // A session writes without blocking the event loop, so its stop signals stay ours.
          const writer = new SessionWriter(1);
          return { input: process.stdin, write: (line) => writer.write(line), flushed: () => writer.flushed(), get readerGone() { return writer.readerGone; } };
        },
      });
    default:
      return assertNever(invocation);
  }
}

/**
 * Aborts on SIGHUP/SIGTERM/SIGINT, and when sshd has gone: OpenSSH sends no signal when the
 * client disconnects, its session process exits and we are re-parented (docs/protocol.md §7.1).
 */
const STOP_SIGNALS = ['SIGHUP', 'SIGTERM', 'SIGINT'] as const;
let onStopSignal: (() => void) | null = null;

function watchForAbort(): AbortWatch {
  const watch = new ProcessAbort();
  const abort = (): void => watch.abort();
  onStopSignal = abort;
  for (const signal of STOP_SIGNALS) process.on(signal, abort);
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) abort();
  }, 500).unref();
  return watch;
}

/** Gives the stop signals back their default action: they end the process. */
function releaseSignals(): void {
  if (onStopSignal === null) return;
  for (const signal of STOP_SIGNALS) process.removeListener(signal, onStopSignal);
  onStopSignal = null;
}

const syslog = () => syslogWriter(syslogSocket(process.env));

const output = new StdioWriter({ out: 1, err: 2 }, (channel) => (channel === 'out' ? process.stdout : process.stderr));
const writeStdout = (text: string): void => output.write('out', text);
const writeStderr = (text: string): void => output.write('err', text);

/** Exits once the answer has reached the reader: process.exit() drops queued writes. */
async function exitWhenFlushed(status: number): Promise<never> {
  await output.flushed();
  process.exit(status);
}

/**
 * Last resort for a bug: one answer at most, never a stack trace, and nothing more runs.
 * It exits at once rather than waiting for a flush: pending work must not go on after
 * this answer (a queued tail is lost only when a descriptor was left non-blocking).
 */
function failHard(): void {
  syslog()('service_unavailable: internal error outside a request');
  if (!answered) {
    answered = true;
    const line = '{"v":1,"request_id":null,"ok":false,"error":{"code":"service_unavailable","message":"service unavailable"}}\n';
    if (rawStarted) writeStderr(line);
    else {
      writeStdout(line);
      writeStderr('portcullis: service_unavailable: service unavailable\n');
    }
  }
  process.exit(129);
}
process.on('uncaughtException', failHard);
process.on('unhandledRejection', failHard);

main().then(exitWhenFlushed, failHard);
