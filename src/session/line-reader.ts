import type { Readable } from 'node:stream';
import type { AbortWatch } from '../exec/abort-watch.js';

export type LineEvent =
  | { readonly kind: 'line'; readonly line: Buffer }
  /** A line over the limit: dropped as it arrived, never held whole. */
  | { readonly kind: 'too-long' }
  /** Bytes after the last LF when the input ended: not a line, but the client should hear why. */
  | { readonly kind: 'unterminated' }
  | { readonly kind: 'eof' }
  | { readonly kind: 'idle' }
  | { readonly kind: 'aborted' };

/** How many complete lines may wait before the reader stops reading (docs/protocol.md §12). */
export const MAX_LINES_AHEAD = 16;

/**
 * Splits a session's input into LF-terminated lines with bounded memory: at most
 * MAX_LINES_AHEAD complete lines (plus what one chunk holds) wait before the stream is
 * paused, and a line over `maxLineBytes` is discarded as it arrives. The idle timer runs
 * while the caller waits, so it fires even when the client sends nothing at all.
 */
export class LineReader {
  private readonly queue: LineEvent[] = [];
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private discarding = false;
  private ended = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly stream: Readable,
    private readonly maxLineBytes: number,
  ) {
    stream.on('data', (chunk: Buffer) => this.take(chunk));
    stream.on('end', () => this.finish());
    stream.on('error', () => this.finish());
    stream.on('close', () => this.finish());
  }

  /** The next line, or why there is none: eof, idle after `idleMs`, or aborted. */
  async next(idleMs: number, abort: AbortWatch): Promise<LineEvent> {
    for (;;) {
      const event = this.queue.shift();
      if (event !== undefined) {
        if (this.queue.length < MAX_LINES_AHEAD && !this.ended) this.stream.resume();
        return event;
      }
      if (this.ended) return { kind: 'eof' };
      if (abort.aborted) return { kind: 'aborted' };
      const woken = await this.waitForInput(idleMs, abort);
      if (woken !== null) return woken;
    }
  }

  /** Stops reading for good (the session is over). */
  close(): void {
    this.ended = true;
    this.stream.pause();
    this.stream.removeAllListeners('data');
  }

  private waitForInput(idleMs: number, abort: AbortWatch): Promise<LineEvent | null> {
    return new Promise((resolve) => {
      const done = (result: LineEvent | null): void => {
        clearTimeout(timer);
        abort.removeEventListener('abort', onAbort);
        this.wake = null;
        resolve(result);
      };
      const onAbort = (): void => done({ kind: 'aborted' });
      const timer = setTimeout(() => done({ kind: 'idle' }), idleMs);
      abort.addEventListener('abort', onAbort);
      this.wake = () => done(null);
      this.stream.resume();
    });
  }

  private take(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(0x0a, start);
      if (lf < 0) break;
      this.append(chunk.subarray(start, lf));
      this.push(this.discarding ? { kind: 'too-long' } : { kind: 'line', line: Buffer.concat(this.partial, this.partialBytes) });
      this.partial = [];
      this.partialBytes = 0;
      this.discarding = false;
      start = lf + 1;
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
    if (this.queue.length >= MAX_LINES_AHEAD) this.stream.pause();
  }

  private append(piece: Buffer): void {
    if (this.discarding || piece.length === 0) return;
    if (this.partialBytes + piece.length > this.maxLineBytes) {
      this.discarding = true;
      this.partial = [];
      this.partialBytes = 0;
      return;
    }
    // A copy: the chunk's memory is the stream's, and may be large.
    this.partial.push(Buffer.from(piece));
    this.partialBytes += piece.length;
  }

  private push(event: LineEvent): void {
    this.queue.push(event);
    this.wake?.();
  }

  private finish(): void {
    if (this.ended) return;
    if (this.partialBytes > 0 || this.discarding) this.queue.push({ kind: 'unterminated' });
    this.partial = [];
    this.partialBytes = 0;
    this.ended = true;
    this.wake?.();
  }
}
