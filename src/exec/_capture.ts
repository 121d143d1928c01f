import type { Hash } from 'node:crypto';
import { nodeCrypto } from '../builtins.js';

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
  /** Created with the first byte: a silent action needs no hashing at all. */
  private hash: Hash | null = null;

  constructor(private readonly cap: number) {}

  /** True once the cap is reached: what comes next is only counted and hashed. */
  get full(): boolean {
    return this.keptBytes >= this.cap;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    (this.hash ??= nodeCrypto().createHash('sha256')).update(chunk);
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
      sha256: this.hash === null ? EMPTY_SHA256 : this.hash.digest('hex'),
    };
  }
}

/** SHA-256 of the empty stream, for actions that never produced output. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
