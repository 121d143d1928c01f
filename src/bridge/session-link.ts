import type { HostConfig } from './config.js';
import { connectionFailure, spawnSsh, type SshProcess } from './ssh.js';

/** What a call gets back: the host's answer, or why there is none (docs/mcp.md "Results"). */
export type CallOutcome = { readonly answer: Record<string, unknown> } | { readonly failure: string; readonly kind: 'connection' | 'timeout' | 'cancelled' | 'protocol' };

export interface CallOptions {
  readonly stdin: string | null;
  readonly onChunk?: (stream: string, data: string) => void;
}

/** Lines longer than this from a host are a protocol fault (answers are capped by the server). */
const MAX_LINE = 64 * 1024 * 1024;

/**
 * One session (docs/protocol.md §12) over one ssh: `session` is asked for, its first line read,
 * then requests go one at a time. It is dead after its `end` line, a failure, `stop()` or `retire()`;
 * the pool opens another.
 */
export class SessionLink {
  private buffered = '';
  private pending: { id: string; resolve: (outcome: CallOutcome) => void; onChunk?: CallOptions['onChunk'] } | null = null;
  private opened: ((result: 'ready' | 'disabled' | CallOutcome) => void) | null = null;
  private sequence = 0;
  private ended = false;
  /** The session's line limit, from its first line (docs/protocol.md §12). */
  maxLineBytes = 0;
  readonly ready: Promise<'ready' | 'disabled' | CallOutcome>;
  private readonly ssh: SshProcess;

  constructor(private readonly host: HostConfig) {
    this.ssh = spawnSsh(host, 'session');
    this.ready = new Promise((resolve) => (this.opened = resolve));
    this.ssh.child.stdout.on('data', (chunk: string) => this.take(chunk));
    void this.ssh.exited.then((exit) => this.die(() => ({ failure: connectionFailure(this.host, this.ssh, exit), kind: 'connection' })));
  }

  get busy(): boolean {
    return this.pending !== null;
  }

  /** Sends one request; the answer, or why none came. One at a time per session. */
  call(requestLine: string, options: CallOptions): Promise<CallOutcome> {
    if (this.ended) return Promise.resolve({ failure: 'the session has ended', kind: 'connection' });
    const line = this.lineFor(requestLine, options);
    const id = line.id as string; // INVARIANT: lineFor sets a string id.
    return new Promise((resolve) => {
      this.pending = { id, resolve, ...(options.onChunk !== undefined ? { onChunk: options.onChunk } : {}) };
      this.ssh.child.stdin.write(`${JSON.stringify(line)}\n`);
    });
  }

  /** Whether a request fits this session's line limit; a larger upload goes one-shot. */
  fits(requestLine: string, options: CallOptions): boolean {
    return Buffer.byteLength(JSON.stringify(this.lineFor(requestLine, options, 'x'.repeat(20)))) + 1 <= this.maxLineBytes;
  }

  private lineFor(requestLine: string, options: CallOptions, id = String(++this.sequence)): Record<string, unknown> {
    const line: Record<string, unknown> = { id, request: requestLine, stream: true };
    if (options.stdin !== null) line.stdin = options.stdin;
    return line;
  }

  /** Stops the ssh: the server aborts a running action (docs/protocol.md §7.1). */
  stop(outcome: CallOutcome): void {
    this.die(() => outcome);
    this.ssh.stop();
  }

  /** Ends the session politely: the server finishes and writes its end line. */
  close(): void {
    this.ssh.child.stdin.end();
  }

  /** Closes the session and takes it out of use at once, without waiting for its end line. */
  retire(): void {
    this.close();
    this.ended = true;
  }

  /** The session can carry no more calls: it ended, failed, was refused or was retired. */
  get dead(): boolean {
    return this.ended;
  }

  private take(chunk: string): void {
    this.buffered += chunk;
    if (this.buffered.length > MAX_LINE) return this.stop({ failure: 'the host sent a line over 64 MiB', kind: 'protocol' });
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const text = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      this.line(text);
    }
  }

  private line(text: string): void {
    let message: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      message = parsed as Record<string, unknown>; // INVARIANT: a non-null, non-array object (checked above).
    } catch {
      return this.stop({ failure: 'the host sent a line that is not a JSON object', kind: 'protocol' });
    }
    if (this.opened !== null) {
      const open = this.opened;
      this.opened = null;
      if (message.ok === true && typeof message.session === 'object' && message.session !== null) {
        // INVARIANT: a non-null object (checked in the condition); the member is type-checked below.
        const limit = (message.session as { max_line_bytes?: unknown }).max_line_bytes;
        this.maxLineBytes = typeof limit === 'number' ? limit : 0;
        return open('ready');
      }
      // A host without session mode answers bad_request: calls go one-shot (docs/mcp.md "Transport").
      // INVARIANT: only read with a comparison; a host may send anything here.
      const error = message.error as { code?: unknown } | undefined;
      if (error?.code === 'bad_request') {
        this.ended = true;
        return open('disabled');
      }
      this.stop({ failure: 'the host refused the session', kind: 'protocol' });
      return open({ answer: message });
    }
    if (message.event === 'end') return this.die(() => ({ failure: `the host ended the session (${String(message.reason)})`, kind: 'connection' }));
    const pending = this.pending;
    if (pending === null || message.id !== pending.id) return;
    if (message.event === 'chunk') {
      if (typeof message.stream === 'string' && typeof message.data === 'string') pending.onChunk?.(message.stream, message.data);
      return;
    }
    this.pending = null;
    const { id: _id, ...answer } = message;
    pending.resolve({ answer });
  }

  private die(outcome: () => CallOutcome): void {
    this.ended = true;
    if (this.opened !== null) {
      const open = this.opened;
      this.opened = null;
      open(outcome());
    }
    if (this.pending !== null) {
      const pending = this.pending;
      this.pending = null;
      pending.resolve(outcome());
    }
  }
}
