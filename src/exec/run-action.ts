import type { ChildProcess } from 'node:child_process';
import { nodeChildProcess } from '../builtins.js';
import type { ExecPlan } from './plan.js';
import { StreamCapture, type CapturedStream } from './_capture.js';
import { closeInheritedDescriptors } from './_inherited-fds.js';
import { LAUNCHER, launcherArgs, notExecutable } from './_launcher.js';
import type { AbortWatch } from './abort-watch.js';
import { RawStdoutStream, type RawStdout } from './_raw-stdout.js';
import { openRawPipe, type RawPipe } from './_raw-pipe.js';

/** How an action ended, classified once, here: what the audit outcome and the answer say. */
export type ExecOutcome = 'exited' | 'timeout' | 'aborted' | 'exec_failed' | 'output_too_large';

/** How an action ended. Success and failure share this one shape. */
export interface ExecResult {
  readonly outcome: ExecOutcome;
  /** Set when the program could not be started at all (exec_failed). */
  readonly spawnError: string | null;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  /** A raw stdout went past its cap and the group was stopped (docs/protocol.md §13). */
  readonly overCap: boolean;
  /** Why an abort that the watch did not cause happened (nothing ran, or a raw reader left), for the audit `detail`. */
  readonly abortDetail: string | null;
  readonly durationMs: number;
  readonly stdout: CapturedStream;
  readonly stderr: CapturedStream;
}

export interface ExecOptions {
  readonly stdin: Buffer | null;
  readonly killGraceMs: number;
  /** Aborted on SIGHUP/SIGTERM/SIGINT or when the client is gone. */
  readonly abort: AbortWatch;
  /** Asked right before the child starts: why the client is gone, or null (docs/protocol.md §7.3). */
  readonly clientGone?: () => string | null;
  /** Sees each piece of output as it arrives (a session's `stream: true`); the capture is unchanged. */
  readonly onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** Streams stdout to the client instead of capturing it (`output = "raw"`, docs/protocol.md §13). */
  readonly rawStdout?: RawStdout;
}

/** How long to wait for the pipes after the main process exited and its group was killed. */
const PIPE_DRAIN_MS = 100;
/** After a raw action was stopped (timeout, cap, abort), how long its last bytes may take to reach the reader. */
const RAW_FLUSH_AFTER_STOP_MS = 1000;

/**
 * Runs a plan (docs/protocol.md §7.1): no shell reads the arguments, its own process group, the exact environment, a
 * timeout (SIGTERM to the group, SIGKILL after the grace), output caps, and whatever the
 * main process leaves in its group killed as soon as it exits.
 */
export function runAction(plan: ExecPlan, options: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve) => new RunningAction(plan, options, resolve).start());
}

/** One action's life: every timer and listener it sets is cleared in one place, settle(). */
class RunningAction {
  private readonly started = process.hrtime.bigint();
  private readonly stdout: StreamCapture;
  private readonly stderr: StreamCapture;
  /** Set for `output = "raw"`: stdout goes to the client, not into a capture. */
  private readonly raw: RawStdoutStream | null;
  /** A raw stdout read into one reused buffer; null when Node's own pipe is used instead. */
  private rawPipe: RawPipe | null = null;
  private child: ChildProcess | null = null;
  private timedOut = false;
  private aborted = false;
  private overCap = false;
  private abortDetail: string | null = null;
  private exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private openPipes = 2;
  private ending = false;
  private settled = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private pipeWatch: NodeJS.Timeout | null = null;

  constructor(
    private readonly plan: ExecPlan,
    private readonly options: ExecOptions,
    private readonly resolve: (result: ExecResult) => void,
  ) {
    this.stdout = new StreamCapture(plan.maxOutputBytes);
    this.stderr = new StreamCapture(plan.maxOutputBytes);
    this.raw = options.rawStdout === undefined ? null : new RawStdoutStream(options.rawStdout, this.onOverCap);
  }

  start(): void {
    if (this.options.abort.aborted) return this.settle({ aborted: true });
    const unusable = notExecutable(this.plan.file);
    if (unusable !== null) return this.settle({ spawnError: unusable });
    closeInheritedDescriptors();
    const gone = this.options.clientGone?.() ?? null;
    if (gone !== null) return this.settle({ aborted: true, abortDetail: gone });
    if (this.raw !== null) this.rawPipe = openRawPipe();
    let child: ChildProcess;
    try {
      child = nodeChildProcess().spawn(LAUNCHER, launcherArgs(this.plan.file, this.plan.args, this.plan.env), {
        shell: false,
        detached: true,
        cwd: this.plan.cwd,
        env: this.plan.env,
        // Descriptor 3: the guard's end of a channel only we hold (see _launcher.ts).
        stdio: [this.options.stdin === null ? 'ignore' : 'pipe', this.rawPipe?.childEnd ?? 'pipe', 'pipe', 'pipe'],
      });
    } catch (error) {
      return this.settle({ spawnError: error instanceof Error ? error.message : 'spawn failed' });
    } finally {
      // The child has its own copy now; ours would keep the pipe from ever reaching EOF.
      this.rawPipe?.closeChildEnd();
    }
    this.child = child;
    const guardChannel = child.stdio[3];
    guardChannel?.on('error', () => undefined);
    this.options.abort.addEventListener('abort', this.onAbort);
    this.later(this.plan.timeoutMs, this.onTimeout);
    if (this.raw !== null) {
      const raw = this.raw;
      this.options.rawStdout?.sink.onGone(this.onReaderGone);
      if (this.rawPipe !== null) {
        const reader = this.rawPipe.read((chunk) => raw.push(reader, chunk));
        this.watchClose(reader);
      } else {
        if (child.stdout !== null) raw.attach(child.stdout);
        this.watchClose(child.stdout);
      }
    } else {
      this.capture(child.stdout, this.stdout, 'stdout');
    }
    this.capture(child.stderr, this.stderr, 'stderr');
    child.once('error', (error) => {
      if (child.pid === undefined) this.settle({ spawnError: error.message });
    });
    child.once('exit', this.onExit);
    if (this.options.stdin !== null && child.stdin) {
      // EPIPE: the program did not read all of its input; that is its business.
      child.stdin.on('error', () => undefined);
      child.stdin.end(this.options.stdin);
    }
  }

  private capture(stream: NodeJS.ReadableStream | null, into: StreamCapture, name: 'stdout' | 'stderr'): void {
    const observe = this.options.onOutput;
    stream?.on('data', (chunk: Buffer) => {
      // Streamed output is bounded like the captured one: nothing past the cap, nothing after the end.
      if (observe !== undefined && !into.full && !this.settled) observe(name, chunk);
      into.push(chunk);
    });
    this.watchClose(stream);
  }

  private watchClose(stream: NodeJS.ReadableStream | null): void {
    // A read error ends the stream like EOF; without a listener it would crash us.
    stream?.on('error', () => undefined);
    stream?.once('close', () => {
      this.openPipes -= 1;
      if (this.openPipes === 0 && this.exited !== null) this.end();
    });
  }

  private readonly onTimeout = (): void => {
    // An abort or the cap already under way is the reason the action ends, not the clock.
    if (!this.aborted && !this.overCap) this.timedOut = true;
    // A raw action whose program has exited: what is left did not reach the reader in time.
    if (this.exited !== null) return this.settle(this.exitFields());
    this.terminate();
  };

  private readonly onAbort = (): void => {
    if (!this.timedOut && !this.overCap) this.aborted = true;
    if (this.exited !== null) return this.settle(this.exitFields());
    this.terminate();
  };

  /** The client closed its end mid-download: like a disconnect (docs/protocol.md §13). */
  private readonly onReaderGone = (): void => {
    if (this.settled) return;
    if (!this.timedOut && !this.overCap) this.abortDetail = 'client gone: stdout closed during a raw download';
    this.onAbort();
  };

  private readonly onOverCap = (): void => {
    if (!this.timedOut && !this.aborted) this.overCap = true;
    this.terminate();
  };

  private readonly onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
    this.exited = { code, signal };
    // The action has ended: nothing may now turn it into a timeout or an abort. A raw
    // action has not ended for its reader: the timeout and the abort bound what is left.
    if (this.raw === null) this.stopTimersAndListeners();
    // Whatever the main process left in its group dies with it.
    this.killGroup('SIGKILL');
    // A raw action stopped by its timeout, a stop signal, a lost reader or the cap owes the
    // reader nothing more: waiting for a paused pipe to drain would wait for a reader that
    // may never read again, and no outcome would be written (settle() gives the flush 1 s).
    if (this.raw !== null && (this.timedOut || this.aborted || this.overCap)) return this.settle(this.exitFields());
    if (this.openPipes === 0) return this.end();
    // A process that escaped the group (setsid) may still hold the pipes: answer anyway.
    if (this.raw === null) return this.later(PIPE_DRAIN_MS, () => this.end());
    // Raw: the pipe may still hold what a slow reader has not taken; wait while bytes move.
    const raw = this.raw;
    const check = (): void => {
      this.pipeWatch = raw.quietSinceLastAsked() ? null : setTimeout(check, PIPE_DRAIN_MS);
      if (this.pipeWatch === null) this.end();
    };
    this.pipeWatch = setTimeout(check, PIPE_DRAIN_MS);
  };

  /** The program is done and its pipes read: a raw action still waits for its reader. */
  private end(): void {
    if (this.raw === null) return this.settle(this.exitFields());
    if (this.ending) return;
    this.ending = true;
    void this.options.rawStdout?.sink.flushed().then(() => this.settle(this.exitFields()));
  }

  private terminate(): void {
    // After the exit the group was killed already, and its id may be reused.
    if (this.exited !== null) return;
    this.killGroup('SIGTERM');
    if (this.options.killGraceMs === 0) this.killGroup('SIGKILL');
    else this.later(this.options.killGraceMs, () => this.killGroup('SIGKILL'));
  }

  private killGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      // Negative pid: the whole process group the child leads (detached: true → setsid).
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  }

  private later(ms: number, callback: () => void): void {
    this.timers.push(setTimeout(callback, ms));
  }

  private stopTimersAndListeners(): void {
    for (const timer of this.timers.splice(0)) clearTimeout(timer);
    if (this.pipeWatch !== null) clearTimeout(this.pipeWatch);
    this.options.abort.removeEventListener('abort', this.onAbort);
  }

  private exitFields(): Partial<Omit<ExecResult, 'outcome'>> {
    return {
      exitCode: this.exited?.code ?? null,
      signal: this.exited?.signal ?? null,
      timedOut: this.timedOut,
      aborted: this.aborted,
      overCap: this.overCap,
      abortDetail: this.aborted ? this.abortDetail : null,
    };
  }

  private settle(fields: Partial<Omit<ExecResult, 'outcome'>>): void {
    if (this.settled) return;
    this.settled = true;
    this.stopTimersAndListeners();
    // The group, guard included, was killed when the main process exited: closing the
    // channel now wakes no guard.
    this.child?.stdio[3]?.destroy();
    this.child?.stdout?.destroy();
    this.rawPipe?.close();
    this.child?.stderr?.destroy();
    const fieldsWithDefaults = {
      spawnError: null,
      exitCode: null,
      signal: null,
      timedOut: false,
      aborted: false,
      overCap: false,
      abortDetail: null,
      durationMs: Number((process.hrtime.bigint() - this.started) / 1_000_000n),
      stdout: this.raw?.result() ?? this.stdout.finish(),
      stderr: this.stderr.finish(),
      ...fields,
    };
    const result = { ...fieldsWithDefaults, outcome: classify(fieldsWithDefaults) };
    const sink = this.options.rawStdout?.sink;
    if (sink === undefined || sink.readerGone || result.outcome === 'exited') return this.resolve(result);
    // Stopped early: the answer follows stdout's end, but a reader that stalls gets no more time.
    void Promise.race([sink.flushed(), new Promise((resolve) => setTimeout(resolve, RAW_FLUSH_AFTER_STOP_MS))]).then(() => this.resolve(result));
  }
}

function classify(result: Omit<ExecResult, 'outcome'>): ExecOutcome {
  if (result.spawnError !== null) return 'exec_failed';
  if (result.aborted) return 'aborted';
  if (result.overCap) return 'output_too_large';
  return result.timedOut ? 'timeout' : 'exited';
}
