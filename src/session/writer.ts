import type { Socket } from 'node:net';
import { openWriteStream, writeAllToFd } from '../output/descriptor.js';

/** Characters joined into one write when a line comes in pieces. */
const WRITE_BATCH_CHARS = 256 * 1024;

/**
 * Writes a session's lines to a descriptor without blocking the event loop, so timers and
 * stop signals keep working while a client is slow to read. One line is in flight at a time
 * and the session waits for it before reading the next request: a client that stops reading
 * stops the session, never grows its memory (docs/protocol.md §12).
 *
 * A pipe or socket (what sshd gives us) is written as a non-blocking libuv stream: a
 * blocking write(2) that the reader never takes would hold a thread-pool thread, and
 * process.exit() waits for those threads, so not even a stop signal could end the process.
 */
export class SessionWriter {
  private pending: Promise<void> = Promise.resolve();
  private gone = false;
  private readonly socket: Socket | null;

  constructor(private readonly fd: number) {
    this.socket = openWriteStream(fd, () => {
      this.gone = true;
    });
  }

  /** True once the reader went away (EPIPE or any error but EAGAIN). */
  get readerGone(): boolean {
    return this.gone;
  }

  /**
   * Queues one line, whole or in pieces that together make it; the promise settles when it
   * was written whole or the reader is gone. Pieces are encoded only as the writer reaches
   * them, so a 64 MiB answer is never one string (ADR 0029).
   */
  write(line: string | Iterable<string>): Promise<void> {
    this.pending = this.pending.then(() => (typeof line === 'string' ? this.writeBytes(Buffer.from(line, 'utf8')) : this.writePieces(line)));
    return this.pending;
  }

  private async writePieces(pieces: Iterable<string>): Promise<void> {
    // Small pieces are joined: a short answer still takes one write(2).
    let batch: string[] = [];
    let batchLength = 0;
    for (const piece of pieces) {
      batch.push(piece);
      batchLength += piece.length;
      if (batchLength < WRITE_BATCH_CHARS) continue;
      if (this.gone) return;
      await this.writeBytes(Buffer.from(batch.join(''), 'utf8'));
      batch = [];
      batchLength = 0;
    }
    if (batch.length > 0) await this.writeBytes(Buffer.from(batch.join(''), 'utf8'));
  }

  private writeBytes(bytes: Buffer): Promise<void> {
    if (this.socket !== null) return this.writeToSocket(this.socket, bytes);
    return writeAllToFd(this.fd, bytes, () => this.gone, () => {
      this.gone = true;
    });
  }

  /** Settles when everything queued so far has been written. */
  flushed(): Promise<void> {
    return this.pending;
  }

  private writeToSocket(socket: Socket, bytes: Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.gone || socket.destroyed) return resolve();
      const done = (): void => {
        socket.off('close', done);
        resolve();
      };
      socket.once('close', done);
      socket.write(bytes, (error) => {
        if (error !== null && error !== undefined) this.gone = true;
        done();
      });
    });
  }
}
