import { createHash, type Hash } from 'node:crypto';

/** One output stream: the first `cap` bytes kept, the whole stream counted and hashed. */
export interface CapturedStream {
  readonly kept: Buffer;
  readonly totalBytes: number;
  readonly truncated: boolean;
  readonly sha256: string;
}

export class StreamCapture {
  private readonly chunks: Buffer[] = [];
  private keptBytes = 0;
  private total = 0;
  private readonly hash: Hash = createHash('sha256');

  constructor(private readonly cap: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    this.hash.update(chunk);
    const room = this.cap - this.keptBytes;
    if (room <= 0) return;
    const piece = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(piece);
    this.keptBytes += piece.length;
  }

  finish(): CapturedStream {
    return {
      kept: Buffer.concat(this.chunks, this.keptBytes),
      totalBytes: this.total,
      truncated: this.total > this.keptBytes,
      sha256: this.hash.digest('hex'),
    };
  }
}

/** SHA-256 of the empty stream, for actions that never produced output. */
export const EMPTY_SHA256 = createHash('sha256').digest('hex');
