import { readSync } from 'node:fs';

const CHUNK = 1 << 20;

/**
 * The lines of an open file, as bytes without their LF, in bounded memory (a line is kept
 * whole, however long). `complete` is false only for a last line with no LF.
 */
export function* fileLines(fd: number): Generator<{ bytes: Buffer; complete: boolean }> {
  let pending: Buffer[] = [];
  let position = 0;
  const buffer = Buffer.alloc(CHUNK);
  for (;;) {
    const length = readSync(fd, buffer, 0, CHUNK, position);
    if (length === 0) break;
    position += length;
    const chunk = buffer.subarray(0, length);
    let start = 0;
    for (let lf = chunk.indexOf(0x0a); lf >= 0; lf = chunk.indexOf(0x0a, start)) {
      pending.push(chunk.subarray(start, lf));
      yield { bytes: Buffer.concat(pending), complete: true };
      pending = [];
      start = lf + 1;
    }
    // A copy: the buffer is reused by the next read.
    if (start < length) pending.push(Buffer.from(chunk.subarray(start)));
  }
  if (pending.length > 0) yield { bytes: Buffer.concat(pending), complete: false };
}
