import type { Socket } from 'node:net';
import { openWriteStream, writeAllToFd } from './descriptor.js';

/**
 * Where a raw action's stdout goes (docs/protocol.md §13): bytes as they are, with
 * backpressure. A writer holds at most the one chunk it was last given: `write` says
 * whether it still holds it, and the source then waits for `onceDrained` before it reads
 * again, so a slow reader pauses the child instead of growing our memory, and the source
 * may read into one reused buffer (ADR 0038).
 */
export interface ByteSink {
  /** Writes bytes; false while the writer still holds them, and the caller waits for onceDrained. */
  write(chunk: Buffer): boolean;
  /** Runs once the writer holds nothing (or the reader is gone). */
  onceDrained(callback: () => void): void;
  /** Runs once, when the reader went away (EPIPE or any write error). */
  onGone(callback: () => void): void;
  /** Settles once every byte reached the reader, or the reader is gone. */
  flushed(): Promise<void>;
  readonly readerGone: boolean;
}

/**
 * A ByteSink on a descriptor (1 in production). A pipe or socket, what sshd hands us, is
 * written as a non-blocking libuv stream: a blocking write(2) to a reader that stopped would
 * stall the event loop, and with it the timeout and the watch on our parent (ADR 0028).
 * A chunk the pipe takes at once is not held; the rest of one it cannot take is written
 * when the pipe has room. Anything else (a file, /dev/null) takes asynchronous fs writes.
 */
export class FdByteSink implements ByteSink {
  private gone = false;
  private readonly goneListeners: Array<() => void> = [];
  private readonly drainListeners: Array<() => void> = [];
  private readonly socket: Socket | null;
  private holding = false;
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly fd: number) {
    this.socket = openWriteStream(fd, () => this.markGone());
    this.socket?.on('close', () => this.markGone());
  }

  get readerGone(): boolean {
    return this.gone;
  }

  write(chunk: Buffer): boolean {
    if (this.gone) return true;
    const socket = this.socket;
    if (socket !== null) {
      socket.write(chunk, (error) => {
        if (error !== null && error !== undefined) this.markGone();
        else if (socket.writableLength === 0) this.release();
      });
      // Nothing queued: libuv wrote it all at once and keeps no reference to it.
      this.holding = socket.writableLength > 0;
      return !this.holding;
    }
    this.holding = true;
    this.pending = this.pending.then(async () => {
      await writeAllToFd(this.fd, chunk, () => this.gone, () => this.markGone());
      this.release();
    });
    return false;
  }

  onceDrained(callback: () => void): void {
    if (this.gone || !this.holding) return callback();
    this.drainListeners.push(callback);
  }

  onGone(callback: () => void): void {
    if (this.gone) callback();
    else this.goneListeners.push(callback);
  }

  flushed(): Promise<void> {
    const socket = this.socket;
    if (socket === null) return this.pending;
    return new Promise((resolve) => {
      if (this.gone || socket.destroyed || socket.writableLength === 0) return resolve();
      // An empty write's callback runs once everything queued before it was written.
      socket.write(Buffer.alloc(0), () => resolve());
      this.onGone(resolve);
    });
  }

  private release(): void {
    this.holding = false;
    for (const listener of this.drainListeners.splice(0)) listener();
  }

  private markGone(): void {
    if (this.gone) return;
    this.gone = true;
    for (const listener of this.goneListeners.splice(0)) listener();
    this.release();
  }
}
