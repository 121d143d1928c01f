import { writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { errorCode } from '../errors.js';

/**
 * Writes the answer straight to a descriptor (stdout or stderr), whole.
 *
 * Node's process.stdout makes a pipe non-blocking: a write larger than the pipe's room is
 * queued, and process.exit() then drops the rest, so a slow reader got a JSON line cut at
 * 64 KiB (OUT-017). A blocking write on the descriptor waits for the reader instead, and
 * needs no stream (ADR 0012). When whoever started us left the descriptor non-blocking, the
 * write refuses with EAGAIN; from then on this writer goes through a stream and `flushed()`
 * tells when the reader has taken everything.
 */
export class FdWriter {
  private stream: Writable | null = null;
  private gone = false;
  private pending: Promise<void> = Promise.resolve();
  private closed: Promise<void> | null = null;

  constructor(
    private readonly fd: number,
    private readonly openStream: () => Writable,
  ) {}

  write(text: string): void {
    if (this.gone) return;
    let bytes = Buffer.from(text, 'utf8');
    if (this.stream === null) {
      let offset = 0;
      try {
        while (offset < bytes.length) offset += writeSync(this.fd, bytes, offset);
        return;
      } catch (error) {
        // Any error but EAGAIN (EPIPE above all) means the reader is gone; the audit log
        // still records the outcome.
        if (errorCode(error) !== 'EAGAIN') {
          this.gone = true;
          return;
        }
        bytes = bytes.subarray(offset);
        const stream = this.openStream();
        this.stream = stream;
        this.closed = new Promise((resolve) => stream.once('close', () => resolve()));
        stream.on('error', () => {
          this.gone = true;
        });
      }
    }
    const stream = this.stream;
    const previous = this.pending;
    this.pending = new Promise((resolve) => {
      stream.write(bytes, () => resolve(previous));
    });
  }

  /** Resolves once everything written so far has reached the reader (or the reader is gone). */
  flushed(): Promise<void> {
    return this.closed === null ? this.pending : Promise.race([this.pending, this.closed]);
  }
}
