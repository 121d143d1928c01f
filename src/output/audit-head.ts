import { closeSync, constants, fstatSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { errorCode } from '../errors.js';
import { adoptDirectoryOwner } from '../config/_permissions.js';
import { splitChained, type ChainLink } from './audit-chain-form.js';

/** `<state_dir>/audit.head`: where the chain stands, and in which file (docs/audit.md "The head"). */
export interface ChainHead {
  readonly seq: number;
  readonly chain: string;
  readonly ino: number;
  readonly dev: number;
}

const HEAD = /^\{"seq":(0|[1-9][0-9]{0,15}),"chain":"([0-9a-f]{64})","ino":([0-9]{1,20}),"dev":([0-9]{1,20})\}\n$/;
const MAX_HEAD_BYTES = 256;
const MAX_TAIL_BYTES = 8 << 20;

/** The head, null when there is none yet, or `invalid` when the file holds something else. */
export function readHead(path: string): ChainHead | null | 'invalid' {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    return 'invalid';
  }
  try {
    const buffer = Buffer.alloc(MAX_HEAD_BYTES);
    const length = readSync(fd, buffer, 0, MAX_HEAD_BYTES, 0);
    const match = HEAD.exec(buffer.subarray(0, length).toString('latin1'));
    if (match === null) return 'invalid';
    // INVARIANT: HEAD has four capture groups and matched.
    return { seq: Number(match[1]), chain: match[2] as string, ino: Number(match[3]), dev: Number(match[4]) };
  } catch {
    return 'invalid';
  } finally {
    closeSync(fd);
  }
}

/** Replaces the head atomically (a rename); the caller holds the lock, so the temporary name is ours. */
export function writeHead(path: string, head: ChainHead, owner: { uid: number; gid: number }): void {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    const bytes = Buffer.from(`{"seq":${head.seq},"chain":"${head.chain}","ino":${head.ino},"dev":${head.dev}}\n`, 'latin1');
    writeSync(fd, bytes, 0, bytes.length, 0);
    adoptDirectoryOwner(fd, owner);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

/**
 * The link of the log's last line, read backwards from the open descriptor: `empty`, or
 * null when the last line is not chained (or longer than any record we write).
 */
export function readTailLink(fd: number): ChainLink | null | 'empty' {
  const size = fstatSync(fd).size;
  if (size === 0) return 'empty';
  let start = size;
  let chunk = 4096;
  let tail = Buffer.alloc(0);
  while (start > 0 && size - start < MAX_TAIL_BYTES) {
    const from = Math.max(0, start - chunk);
    const part = Buffer.alloc(start - from);
    readSync(fd, part, 0, part.length, from);
    tail = Buffer.concat([part, tail]);
    start = from;
    // The last line ends with LF; the one before it ends where our line starts.
    const body = tail[tail.length - 1] === 0x0a ? tail.subarray(0, -1) : null;
    if (body === null) return null;
    const lineStart = body.lastIndexOf(0x0a);
    if (lineStart >= 0 || start === 0) return splitChained(body.subarray(lineStart + 1))?.link ?? null;
    chunk *= 4;
  }
  return null;
}
