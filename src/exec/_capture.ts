import type { Hash } from 'node:crypto';
import { nodeCrypto } from '../builtins.js';

/** One output stream: the first `cap` bytes kept, the whole stream counted and hashed. */
export interface CapturedStream {
  readonly kept: Buffer;
  readonly totalBytes: number;
  readonly truncated: boolean;
  readonly sha256: string;
}

/**
 * Captures one stream into one buffer of the cap's size, taken at the first byte: the kept
 * bytes are copied once and never joined, so a capped stream costs the cap and no more
 * (ADR 0029). Pages of the buffer that are never written are never resident.
 */
export class StreamCapture {
  private buffer: Buffer | null = null;
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
    // allocUnsafeSlow: outside Node's shared pool, and every byte read is one written here.
    this.buffer ??= Buffer.allocUnsafeSlow(this.cap);
    this.keptBytes += chunk.copy(this.buffer, this.keptBytes, 0, Math.min(room, chunk.length));
  }

  finish(): CapturedStream {
    return {
      kept: this.buffer === null ? Buffer.alloc(0) : this.buffer.subarray(0, this.keptBytes),
      totalBytes: this.total,
      truncated: this.total > this.keptBytes,
      sha256: this.hash === null ? EMPTY_SHA256 : this.hash.digest('hex'),
    };
  }
}

/** SHA-256 of the empty stream, for actions that never produced output. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
