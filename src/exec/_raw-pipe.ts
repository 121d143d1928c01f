import type { Socket } from 'node:net';
import { closeSync, constants, fstatSync, lstatSync, mkdtempSync, openSync, rmdirSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeChildProcess, nodeNet } from '../builtins.js';

/** One pipe read: a FIFO holds 64 KiB, so a bigger buffer would never fill. */
const READ_BUFFER_BYTES = 64 * 1024;
const MKFIFO = ['/usr/bin/mkfifo', '/bin/mkfifo'];

/** Called with each read, in the one buffer; false pauses the reader until it is resumed. */
export type OnRead = (chunk: Buffer) => boolean;

/**
 * A pipe for a raw action's stdout that we read into one fixed buffer (ADR 0038). The
 * stdio pipe Node makes for a child hands over a new 64 KiB buffer for every read, which
 * V8 frees only at its next collection: a 1 GiB download grew our RSS by half, and the
 * allocations cost CPU. Node cannot make an anonymous pipe, so this is a FIFO made in a
 * private directory and unlinked at once; only its two open ends remain.
 */
export interface RawPipe {
  /** The write end, for the child's descriptor 1; close it once the child has it. */
  readonly childEnd: number;
  closeChildEnd(): void;
  /** Starts reading the read end into `onRead`; the socket emits no 'data', and 'close' at EOF. */
  read(onRead: OnRead): Socket;
  /** Closes both ends, for a child that never started. */
  close(): void;
}

/**
 * Null when no FIFO can be made here (no writable temporary directory, no mkfifo, no
 * /proc): the caller uses Node's own pipe. Under sshd the directory is /tmp, never
 * TMPDIR: an operator's AcceptEnv or SetEnv may let a client set it (ADR 0038).
 */
export function openRawPipe(env: NodeJS.ProcessEnv = process.env): RawPipe | null {
  let dir: string | null = null;
  let readEnd = -1;
  let writeEnd = -1;
  try {
    dir = mkdtempSync(join(env.SSH_CONNECTION === undefined ? tmpdir() : '/tmp', 'portcullis-raw-'));
    const path = join(dir, 'stdout');
    if (!makeFifo(path)) return null;
    // Non-blocking, so opening the read end does not wait for a writer; libuv reads it that way.
    readEnd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const opened = fstatSync(readEnd);
    removeName(path, opened.ino);
    if (!opened.isFIFO()) return closeBoth(readEnd, writeEnd);
    // Through our own descriptor, not the name: the same FIFO whatever the name became,
    // and it cannot block, since we are its reader.
    writeEnd = openSync(`/proc/self/fd/${readEnd}`, constants.O_WRONLY);
    if (!sameOwnFifo(readEnd, writeEnd)) return closeBoth(readEnd, writeEnd);
    return new FifoPipe(readEnd, writeEnd);
  } catch {
    return closeBoth(readEnd, writeEnd);
  } finally {
    // Never recursive: a directory swapped for a link must not lead us to delete through it.
    if (dir !== null) {
      try {
        rmdirSync(dir);
      } catch {
        // Not empty or not ours any more: left as it is.
      }
    }
  }
}

function removeName(path: string, ino: number): void {
  try {
    if (lstatSync(path).ino === ino) unlinkSync(path);
  } catch {
    // Gone already.
  }
}

function closeBoth(readEnd: number, writeEnd: number): null {
  if (readEnd >= 0) closeQuietly(readEnd);
  if (writeEnd >= 0) closeQuietly(writeEnd);
  return null;
}

/**
 * Both ends are the FIFO we made: ours, mode 0600, one inode. A TMPDIR whose owner is
 * someone else lets that owner swap names under us; what we opened is checked, not trusted.
 */
export function sameOwnFifo(readEnd: number, writeEnd: number): boolean {
  const [read, write] = [fstatSync(readEnd), fstatSync(writeEnd)];
  const uid = process.geteuid?.() ?? -1;
  return read.isFIFO() && read.ino === write.ino && read.dev === write.dev && read.uid === uid && (read.mode & 0o777) === 0o600;
}

function makeFifo(path: string): boolean {
  for (const tool of MKFIFO) {
    const made = nodeChildProcess().spawnSync(tool, ['-m', '600', '--', path], { stdio: 'ignore', env: {}, timeout: 2000 });
    if (made.status === 0) return true;
    if (made.error === undefined) return false;
  }
  return false;
}

class FifoPipe implements RawPipe {
  private childEndOpen = true;
  private reader: Socket | null = null;

  constructor(
    private readonly readEnd: number,
    readonly childEnd: number,
  ) {}

  closeChildEnd(): void {
    if (!this.childEndOpen) return;
    this.childEndOpen = false;
    closeQuietly(this.childEnd);
  }

  read(onRead: OnRead): Socket {
    const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    // `onread` reaches net.Socket's constructor, though @types/node lists it for connect() only.
    const options = {
      fd: this.readEnd,
      readable: true,
      writable: false,
      onread: { buffer, callback: (bytes: number, into: Buffer) => onRead(into.subarray(0, bytes)) },
    };
    const reader = new (nodeNet().Socket)(options);
    this.reader = reader;
    return reader;
  }

  close(): void {
    this.closeChildEnd();
    if (this.reader !== null) this.reader.destroy();
    else closeQuietly(this.readEnd);
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}
