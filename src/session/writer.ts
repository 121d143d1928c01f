import { write } from 'node:fs';
import { errorCode } from '../errors.js';

/**
 * Writes a session's lines to a descriptor without blocking the event loop (the write
 * waits in libuv's thread pool), so timers and stop signals keep working while a client
 * is slow to read. One line is in flight at a time and the session waits for it before
 * reading the next request: a client that stops reading stops the session, never grows
 * its memory (docs/protocol.md §12).
 */
export class SessionWriter {
  private pending: Promise<void> = Promise.resolve();
  private gone = false;

  constructor(private readonly fd: number) {}

  /** True once the reader went away (EPIPE or any error but EAGAIN). */
  get readerGone(): boolean {
    return this.gone;
  }

  /** Queues one line; the promise settles when it was written whole or the reader is gone. */
  write(line: string): Promise<void> {
    const bytes = Buffer.from(line, 'utf8');
    this.pending = this.pending.then(() => this.writeAll(bytes));
    return this.pending;
  }

  /** Settles when everything queued so far has been written. */
  flushed(): Promise<void> {
    return this.pending;
  }

  private async writeAll(bytes: Buffer): Promise<void> {
    let offset = 0;
    while (!this.gone && offset < bytes.length) {
      const written = await this.writeOnce(bytes, offset);
      if (written === null) await new Promise((resolve) => setTimeout(resolve, 5));
      else offset += written;
    }
  }

  /** Bytes written, or null to retry (a descriptor someone left non-blocking was full). */
  private writeOnce(bytes: Buffer, offset: number): Promise<number | null> {
    return new Promise((resolve) => {
      write(this.fd, bytes, offset, bytes.length - offset, null, (error, written) => {
        if (error === null) return resolve(written);
        if (errorCode(error) === 'EAGAIN') return resolve(null);
        this.gone = true;
        resolve(0);
      });
    });
  }
}
