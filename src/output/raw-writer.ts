import type { Socket } from 'node:net';
import { isPipeOrSocket, writeAllToFd } from './descriptor.js';

/**
 * Where a raw action's stdout goes (docs/protocol.md §13): bytes as they are, with
 * backpressure. `write` says when the writer holds enough; the source then waits for
 * `onceDrained`, so a slow reader pauses the child instead of growing our memory.
 */
export interface ByteSink {
  /** Queues bytes; false once the writer holds its fill, and the caller waits for onceDrained. */
  write(chunk: Buffer): boolean;
  /** Runs once the writer has room again (or the reader is gone). */
  onceDrained(callback: () => void): void;
  /** Runs once, when the reader went away (EPIPE or any write error). */
  onGone(callback: () => void): void;
  /** Settles once every queued byte reached the reader, or the reader is gone. */
  flushed(): Promise<void>;
  readonly readerGone: boolean;
}

/**
 * How much may wait to be written before the source is paused. Node's default (16 KiB) is
 * less than one pipe read (64 KiB), so the child was paused after every read and each chunk
 * waited for sshd to take the previous one: a bubble per chunk.
 */
const HIGH_WATER = 1 << 20;

/**
 * A ByteSink on a descriptor (1 in production). A pipe or socket, what sshd hands us, is
 * written as a non-blocking libuv stream: a blocking write(2) to a reader that stopped would
 * stall the event loop, and with it the timeout and the watch on our parent (ADR 0028).
 * Anything else (a file, /dev/null) takes asynchronous fs writes, one at a time.
 */
export class FdByteSink implements ByteSink {
  private gone = false;
  private readonly goneListeners: Array<() => void> = [];
  private readonly drainListeners: Array<() => void> = [];
  private readonly socket: Socket | null;
  private inFlight = 0;
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly fd: number) {
    this.socket = isPipeOrSocket(fd) ? this.openSocket(fd) : null;
  }

  get readerGone(): boolean {
    return this.gone;
  }

  write(chunk: Buffer): boolean {
    if (this.gone) return true;
    const socket = this.socket;
    if (socket !== null) {
      const more = socket.write(chunk, (error) => {
        if (error !== null && error !== undefined) this.markGone();
      });
      return more;
    }
    this.inFlight += chunk.length;
    this.pending = this.pending.then(async () => {
      await writeAllToFd(this.fd, chunk, () => this.gone, () => this.markGone());
      this.inFlight -= chunk.length;
      if (this.inFlight < HIGH_WATER) this.runDrainListeners();
    });
    return this.inFlight < HIGH_WATER;
  }

  onceDrained(callback: () => void): void {
    if (this.gone) return callback();
    if (this.socket !== null) {
      this.drainListeners.push(callback);
      this.socket.once('drain', () => this.runDrainListeners());
      return;
    }
    if (this.inFlight < HIGH_WATER) return callback();
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

  private runDrainListeners(): void {
    for (const listener of this.drainListeners.splice(0)) listener();
  }

  private markGone(): void {
    if (this.gone) return;
    this.gone = true;
    for (const listener of this.goneListeners.splice(0)) listener();
    this.runDrainListeners();
  }

  private openSocket(fd: number): Socket | null {
    try {
      // Loaded here, not at start-up: only a raw action needs it (src/builtins.ts).
      const net = require('node:net') as typeof import('node:net');
      // writableHighWaterMark reaches stream.Duplex, though @types/node does not list it here.
      const options = { fd, readable: false, writable: true, writableHighWaterMark: HIGH_WATER };
      const socket = new net.Socket(options);
      socket.on('error', () => this.markGone());
      socket.on('close', () => this.markGone());
      return socket;
    } catch {
      return null;
    }
  }


}
