import { fstatSync, write } from 'node:fs';
import { errorCode } from '../errors.js';

/** A pipe or socket (what sshd hands us) is written as a non-blocking stream; anything else with fs writes. */
export function isPipeOrSocket(fd: number): boolean {
  try {
    const stat = fstatSync(fd);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}

/**
 * Writes all of `bytes` to a descriptor that is not a pipe or socket (a file, /dev/null) with
 * asynchronous fs writes. A descriptor someone left non-blocking may be full: the write is
 * retried. Any other error means the reader is gone: `onGone` runs and the rest is dropped.
 */
export async function writeAllToFd(fd: number, bytes: Buffer, gone: () => boolean, onGone: () => void): Promise<void> {
  let offset = 0;
  while (!gone() && offset < bytes.length) {
    const written = await writeOnce(fd, bytes, offset, onGone);
    if (written === null) await new Promise((resolve) => setTimeout(resolve, 5));
    else offset += written;
  }
}

/** Bytes written, or null to retry. */
function writeOnce(fd: number, bytes: Buffer, offset: number, onGone: () => void): Promise<number | null> {
  return new Promise((resolve) => {
    write(fd, bytes, offset, bytes.length - offset, null, (error, written) => {
      if (error === null) return resolve(written);
      if (errorCode(error) === 'EAGAIN') return resolve(null);
      onGone();
      resolve(0);
    });
  });
}
