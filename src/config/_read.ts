import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { errorCode } from '../errors.js';

export const MAX_CONFIG_BYTES = 1048576;

/** Reads a whole file through one descriptor (one consistent version), with a size cap. */
export function readCapped(path: string, maxBytes = MAX_CONFIG_BYTES): { bytes: Buffer; mode: number; uid: number; gid: number } | { error: string } {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const stats = fstatSync(fd);
    if (stats.size > maxBytes) return { error: `is larger than ${maxBytes} bytes` };
    const buffer = Buffer.alloc(stats.size);
    let offset = 0;
    while (offset < buffer.length) {
      const n = readSync(fd, buffer, offset, buffer.length - offset, offset);
      if (n === 0) break;
      offset += n;
    }
    return { bytes: buffer.subarray(0, offset), mode: stats.mode, uid: stats.uid, gid: stats.gid };
  } catch (error) {
    return { error: `cannot be read: ${errorCode(error)}` };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
