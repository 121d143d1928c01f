import type { Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { nodeCrypto } from '../builtins.js';
import type { CapturedStream } from './_capture.js';

/** What a raw action's stdout is streamed into: the client's end, with backpressure. */
export interface RawSink {
  write(chunk: Buffer): boolean;
  onceDrained(callback: () => void): void;
  onGone(callback: () => void): void;
  flushed(): Promise<void>;
  readonly readerGone: boolean;
}

/** A raw stdout and its cap, as the executor takes them (docs/protocol.md §13). */
export interface RawStdout {
  readonly sink: RawSink;
  readonly maxBytes: number;
}

/**
 * Streams a child's stdout to a RawSink byte for byte, counting and hashing what it passes
 * on. A full sink pauses the pipe, so the child blocks on its own write and our memory
 * stays at one chunk plus the sink's fill. Nothing past `maxBytes` is passed on: the first
 * byte over calls `onOverCap` (the action is stopped), and what follows is dropped.
 */
export class RawStdoutStream {
  private sent = 0;
  private over = false;
  private waiting = false;
  private hash: Hash | null = null;
  /** Data arrived, or the sink was waited for, since the last `quietSinceLastAsked()`. */
  private busy = false;

  constructor(
    private readonly raw: RawStdout,
    private readonly onOverCap: () => void,
  ) {}

  attach(stream: Readable): void {
    stream.on('data', (chunk: Buffer) => this.push(stream, chunk));
  }

  /** True when nothing moved since the last call: no data, no wait on the reader. */
  quietSinceLastAsked(): boolean {
    const quiet = !this.busy && !this.waiting;
    this.busy = false;
    return quiet;
  }

  get overCap(): boolean {
    return this.over;
  }

  private push(stream: Readable, chunk: Buffer): void {
    this.busy = true;
    if (this.over || this.raw.sink.readerGone) return;
    const room = this.raw.maxBytes - this.sent;
    const piece = chunk.length <= room ? chunk : chunk.subarray(0, room);
    if (piece.length > 0) {
      this.sent += piece.length;
      (this.hash ??= nodeCrypto().createHash('sha256')).update(piece);
      if (!this.raw.sink.write(piece)) this.waitForRoom(stream);
    }
    if (piece.length < chunk.length) {
      this.over = true;
      // Drained from here on, never passed on: the group is being stopped.
      stream.resume();
      this.onOverCap();
    }
  }

  private waitForRoom(stream: Readable): void {
    this.waiting = true;
    stream.pause();
    this.raw.sink.onceDrained(() => {
      this.waiting = false;
      this.busy = true;
      stream.resume();
    });
  }

  /** What went to the client: `totalBytes` and `sha256` cover exactly the bytes passed on. */
  result(): CapturedStream {
    return {
      kept: Buffer.alloc(0),
      totalBytes: this.sent,
      truncated: this.over,
      sha256: this.hash === null ? EMPTY_SHA256 : this.hash.digest('hex'),
    };
  }
}

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
