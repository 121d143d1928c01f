import { StringDecoder } from 'node:string_decoder';

export type OutputStream = 'stdout' | 'stderr';

/** The most text one stream may hold between two chunks; beyond it, chunks skip (the answer has it all). */
const MAX_PENDING_CHARS = 65536;
const INTERVAL_MS = 100;

/**
 * Turns an action's output into `chunk` events (docs/protocol.md §12): UTF-8 text split on
 * character boundaries, at most one chunk per stream per 100 ms. Bounded: a stream that
 * writes faster than the client reads loses chunk text past MAX_PENDING_CHARS, never the
 * answer's captured output.
 */
export class ChunkStreamer {
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private readonly pending = { stdout: '', stderr: '' };
  private readonly lastSent = { stdout: 0, stderr: 0 };
  private readonly timers: Partial<Record<OutputStream, NodeJS.Timeout>> = {};
  /** A chunk the client has not taken yet: the next one waits, bounded by MAX_PENDING_CHARS. */
  private inFlight = false;
  private closed = false;

  /** `emit` settles once the chunk was written (or the client is gone). */
  constructor(private readonly emit: (stream: OutputStream, data: string) => Promise<void>) {}

  push(stream: OutputStream, bytes: Buffer): void {
    // After the answer, output of a process that escaped the group must not reach the client.
    if (this.closed) return;
    const text = this.decoders[stream].write(bytes);
    const room = MAX_PENDING_CHARS - this.pending[stream].length;
    if (room <= 0) return;
    let kept = text.length <= room ? text : text.slice(0, room);
    // Never half a surrogate pair: the chunk must stay valid UTF-16 for JSON.
    if (kept.length < text.length && /[\ud800-\udbff]$/.test(kept)) kept = kept.slice(0, -1);
    this.pending[stream] += kept;
    this.schedule(stream);
  }

  /** Sends what is left, before the answer; nothing is sent after it. */
  finish(): void {
    this.closed = true;
    for (const stream of ['stdout', 'stderr'] as const) {
      clearTimeout(this.timers[stream]);
      delete this.timers[stream];
      this.pending[stream] += this.decoders[stream].end();
      this.send(stream, true);
    }
  }

  private schedule(stream: OutputStream): void {
    if (this.timers[stream] !== undefined || this.pending[stream] === '') return;
    const wait = Math.max(0, this.lastSent[stream] + INTERVAL_MS - Date.now());
    this.timers[stream] = setTimeout(() => {
      delete this.timers[stream];
      this.send(stream);
    }, wait);
  }

  private send(stream: OutputStream, last = false): void {
    const data = this.pending[stream];
    if (data === '') return;
    if (this.inFlight && !last) {
      // The client has not taken the previous chunk: keep this text (bounded) and try later.
      this.lastSent[stream] = Date.now();
      this.schedule(stream);
      return;
    }
    this.pending[stream] = '';
    this.lastSent[stream] = Date.now();
    this.inFlight = true;
    void this.emit(stream, data).then(() => {
      this.inFlight = false;
    });
  }
}
