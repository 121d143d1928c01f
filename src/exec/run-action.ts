import type { ChildProcess } from 'node:child_process';
import { nodeChildProcess } from '../builtins.js';
import type { ExecPlan } from '../policy/index.js';
import { StreamCapture, type CapturedStream } from './_capture.js';
import { GroupWatchdog } from './_watchdog.js';

/** How an action ended. Success and failure share this one shape. */
export interface ExecResult {
  /** Set when the program could not be started at all (exec_failed). */
  readonly spawnError: string | null;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  readonly durationMs: number;
  readonly stdout: CapturedStream;
  readonly stderr: CapturedStream;
}

export interface ExecOptions {
  readonly stdin: Buffer | null;
  readonly killGraceMs: number;
  /** Aborted on SIGHUP/SIGTERM/SIGINT or when the client is gone. */
  readonly abort: AbortSignal;
}

/** How long to wait for the pipes after the main process exited and its group was killed. */
const PIPE_DRAIN_MS = 100;
/** Actions that end sooner never pay for a watchdog process (see _watchdog.ts). */
const WATCHDOG_AFTER_MS = 50;

/**
 * Runs a plan (CONTRACT §7.1): no shell, its own process group, the exact environment, a
 * timeout (SIGTERM to the group, SIGKILL after the grace), output caps, and whatever the
 * main process leaves in its group killed as soon as it exits.
 */
export function runAction(plan: ExecPlan, options: ExecOptions): Promise<ExecResult> {
  const started = process.hrtime.bigint();
  const stdout = new StreamCapture(plan.maxOutputBytes);
  const stderr = new StreamCapture(plan.maxOutputBytes);
  const elapsedMs = (): number => Number((process.hrtime.bigint() - started) / 1_000_000n);
  const result = (fields: Partial<ExecResult>): ExecResult => ({
    spawnError: null,
    exitCode: null,
    signal: null,
    timedOut: false,
    aborted: false,
    durationMs: elapsedMs(),
    stdout: stdout.finish(),
    stderr: stderr.finish(),
    ...fields,
  });

  if (options.abort.aborted) return Promise.resolve(result({ aborted: true }));

  let child: ChildProcess;
  try {
    child = nodeChildProcess().spawn(plan.file, plan.args, {
      shell: false,
      detached: true,
      cwd: plan.cwd,
      env: plan.env,
      stdio: [options.stdin === null ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
  } catch (error) {
    return Promise.resolve(result({ spawnError: error instanceof Error ? error.message : 'spawn failed' }));
  }

  return new Promise((resolve) => {
    let timedOut = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let openPipes = 2;
    let settled = false;
    let drainTimer: NodeJS.Timeout | undefined;
    const exitFields = (): Partial<ExecResult> => ({ exitCode: exited?.code ?? null, signal: exited?.signal ?? null, timedOut, aborted });

    const killGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        // Negative pid: the whole process group the child leads (detached: true → setsid).
        process.kill(-child.pid, signal);
      } catch {
        // ESRCH: the group is already gone.
      }
    };
    const terminate = (): void => {
      killGroup('SIGTERM');
      if (options.killGraceMs === 0) killGroup('SIGKILL');
      else killTimer ??= setTimeout(() => killGroup('SIGKILL'), options.killGraceMs);
    };
    const timeout = setTimeout(() => {
      // An abort already under way is the reason the action ends, not the clock.
      if (!aborted) timedOut = true;
      terminate();
    }, plan.timeoutMs);
    const onAbort = (): void => {
      if (!timedOut) aborted = true;
      terminate();
    };
    options.abort.addEventListener('abort', onAbort);
    let watchdog: GroupWatchdog | null = null;
    const watchdogTimer = setTimeout(() => {
      if (child.pid !== undefined) watchdog = GroupWatchdog.start(child.pid);
    }, WATCHDOG_AFTER_MS);

    const settle = (fields: Partial<ExecResult>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      clearTimeout(killTimer);
      clearTimeout(drainTimer);
      clearTimeout(watchdogTimer);
      watchdog?.release();
      options.abort.removeEventListener('abort', onAbort);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve(result(fields));
    };
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    // A read error ends the stream like EOF; without a listener it would crash us.
    child.stdout?.on('error', () => undefined);
    child.stderr?.on('error', () => undefined);
    for (const stream of [child.stdout, child.stderr]) {
      stream?.once('close', () => {
        openPipes -= 1;
        if (openPipes === 0 && exited !== null) settle(exitFields());
      });
    }
    child.once('error', (error) => {
      if (child.pid === undefined) settle({ spawnError: error.message });
    });
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      // The action has ended: nothing may now turn it into a timeout or an abort.
      clearTimeout(timeout);
      clearTimeout(watchdogTimer);
      options.abort.removeEventListener('abort', onAbort);
      // Whatever the main process left in its group dies with it.
      killGroup('SIGKILL');
      if (openPipes === 0) settle(exitFields());
      // A process that escaped the group (setsid) may still hold the pipes: answer anyway.
      else drainTimer = setTimeout(() => settle(exitFields()), PIPE_DRAIN_MS);
    });
    if (options.stdin !== null && child.stdin) {
      child.stdin.on('error', () => {
        // EPIPE: the program did not read all of its input; that is its business.
      });
      child.stdin.end(options.stdin);
    }
  });
}
