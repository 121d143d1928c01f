import { fstatSync, write } from 'node:fs';
import type { Socket } from 'node:net';
import { nodeNet } from '../builtins.js';
import { errorCode } from '../errors.js';

/**
 * A write-only libuv stream on `fd` when it is a pipe or socket (what sshd hands us): it
 * waits for room in epoll instead of blocking the event loop or a thread-pool thread.
 * Null for anything else (a file, /dev/null), which takes writeAllToFd, or when Node
 * cannot wrap it. `onError` runs on a write error: the reader is gone.
 */
export function openWriteStream(fd: number, onError: () => void): Socket | null {
  if (!isPipeOrSocket(fd)) return null;
  try {
    const socket = new (nodeNet().Socket)({ fd, readable: false, writable: true });
    socket.on('error', onError);
    return socket;
  } catch {
    return null;
  }
}

function isPipeOrSocket(fd: number): boolean {
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
