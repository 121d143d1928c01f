import type { Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { nodeCrypto } from '../builtins.js';
import type { CapturedStream } from './_capture.js';

/**
 * What a raw action's stdout is streamed into: the client's end, with backpressure. `write`
 * returns false while the sink still holds the chunk: the source neither reuses that memory
 * nor sends more until `onceDrained`.
 */
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

/** Where the bytes come from: a stream that can stop reading for a while. */
interface Pausable {
  pause(): unknown;
  resume(): unknown;
}

/**
 * Streams a child's stdout to a RawSink byte for byte, counting and hashing what it passes
 * on. While the sink holds a chunk the pipe is paused, so the child blocks on its own write
 * and our memory stays at one chunk, which may be the reader's one reused buffer
 * (_raw-pipe.ts). Nothing past `maxBytes` is passed on: the first byte over calls
 * `onOverCap` (the action is stopped), and what follows is dropped.
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

  /** A stream that hands over a new buffer with every 'data' event (Node's own stdio pipe). */
  attach(stream: Readable): void {
    stream.on('data', (chunk: Buffer) => {
      if (!this.push(stream, chunk)) stream.pause();
    });
  }

  /**
   * Takes one read from `source`; false asks it to stop reading until it is resumed. The
   * chunk may be the source's reused buffer: it is hashed and written before this returns,
   * and the source stays paused while the sink holds it.
   */
  push(source: Pausable, chunk: Buffer): boolean {
    this.busy = true;
    if (this.over || this.raw.sink.readerGone) return true;
    const room = this.raw.maxBytes - this.sent;
    const piece = chunk.length <= room ? chunk : chunk.subarray(0, room);
    if (piece.length < chunk.length) {
      // Drained from here on, never passed on: the group is being stopped.
      this.over = true;
      this.onOverCap();
    }
    if (piece.length === 0) return true;
    this.sent += piece.length;
    // Written first, so the reader is not kept waiting for the hash; no read can reuse
    // the buffer before this returns.
    const taken = this.raw.sink.write(piece);
    (this.hash ??= nodeCrypto().createHash('sha256')).update(piece);
    return taken || !this.waitForRoom(source);
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

  /** True when the source must pause; a sink with room at once (its reader just left) needs no pause. */
  private waitForRoom(source: Pausable): boolean {
    let asking = true;
    let drainedAtOnce = false;
    this.waiting = true;
    this.raw.sink.onceDrained(() => {
      this.waiting = false;
      this.busy = true;
      if (asking) drainedAtOnce = true;
      else source.resume();
    });
    asking = false;
    return !drainedAtOnce;
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
