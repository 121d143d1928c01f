import { writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { errorCode } from '../errors.js';

/** Which of the two outputs: the JSON answer or the one stderr line. */
export type Channel = 'out' | 'err';

/**
 * Writes the answer and the stderr line straight to their descriptors, whole and in order.
 *
 * Node's process.stdout makes a pipe non-blocking: a write larger than the pipe's room is
 * queued, and process.exit() then drops the rest, so a slow reader got a JSON line cut at
 * 64 KiB (OUT-017). A blocking write on the descriptor waits for the reader instead, and
 * needs no stream (ADR 0012). When whoever started us left a descriptor non-blocking, the
 * write refuses with EAGAIN; from then on every write, to either descriptor, goes through
 * a stream one after the other (the two may be one pipe, as with 2>&1), and `flushed()`
 * tells when the reader has taken everything.
 */
export class StdioWriter {
  private streaming = false;
  private pending: Promise<void> = Promise.resolve();
  private readonly gone = new Set<Channel>();
  private readonly streams = new Map<Channel, Writable>();

  /** `fds` are 1 and 2 in production; `openStream` gives Node's stream for a channel. */
  constructor(
    private readonly fds: Readonly<Record<Channel, number>>,
    private readonly openStream: (channel: Channel) => Writable,
  ) {}

  write(channel: Channel, text: string): void {
    if (this.gone.has(channel)) return;
    let bytes = Buffer.from(text, 'utf8');
    if (!this.streaming) {
      let offset = 0;
      try {
        while (offset < bytes.length) offset += writeSync(this.fds[channel], bytes, offset);
        return;
      } catch (error) {
        // Any error but EAGAIN (EPIPE above all) means the reader is gone; the audit log
        // still records the outcome.
        if (errorCode(error) !== 'EAGAIN') {
          this.gone.add(channel);
          return;
        }
        bytes = bytes.subarray(offset);
        this.streaming = true;
      }
    }
    this.pending = this.pending.then(() => this.writeThroughStream(channel, bytes));
  }

  /** Resolves once everything written so far has reached its reader (or the reader is gone). */
  flushed(): Promise<void> {
    return this.pending;
  }

  private writeThroughStream(channel: Channel, bytes: Buffer): Promise<void> {
    if (this.gone.has(channel)) return Promise.resolve();
    let stream = this.streams.get(channel);
    if (stream === undefined) {
      stream = this.openStream(channel);
      stream.on('error', () => this.gone.add(channel));
      this.streams.set(channel, stream);
    }
    const target = stream;
    return new Promise((resolve) => {
      target.once('close', () => resolve());
      target.write(bytes, () => resolve());
    });
  }
}
