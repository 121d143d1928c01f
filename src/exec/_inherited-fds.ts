import { closeSync, openSync, readSync, readdirSync } from 'node:fs';

const O_CLOEXEC = 0o2000000;
let closed = false;
/** Where each descriptor's fdinfo is read; reused, as everything here is synchronous. */
const FDINFO = Buffer.allocUnsafe(256);

/**
 * Closes every descriptor above 2 that a child would inherit (docs/protocol.md §7.1): those that
 * reached us without close-on-exec, from a login wrapper, say. Node's spawn passes them to
 * every child, and Node offers no fcntl. Node's and libuv's own descriptors all carry
 * O_CLOEXEC, so a descriptor without it is one we inherited and never use. Once per process.
 * Without /proc nothing can be told apart, and nothing is closed (ADR 0017).
 */
export function closeInheritedDescriptors(): void {
  if (closed) return;
  closed = true;
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return;
  }
  for (const name of names) {
    const fd = Number(name);
    if (!(fd > 2) || (flagsOf(fd) & O_CLOEXEC) !== 0) continue;
    try {
      closeSync(fd);
    } catch {
      // Already gone (the directory listing's own descriptor, for one).
    }
  }
}

/**
 * The open flags of a descriptor; O_CLOEXEC (treated as closed) when they cannot be read.
 * `flags:` is the second line of fdinfo, well inside its first 256 bytes; one reused buffer
 * and three system calls per descriptor, not readFileSync's five and a fresh buffer
 * (a process starts with about 20 descriptors, so this runs 20 times per request).
 */
function flagsOf(fd: number): number {
  try {
    const info = openSync(`/proc/self/fdinfo/${fd}`, 'r');
    let text: string;
    try {
      text = FDINFO.toString('latin1', 0, readSync(info, FDINFO, 0, FDINFO.length, null));
    } finally {
      closeSync(info);
    }
    const match = /^flags:\s*([0-7]+)$/m.exec(text);
    return match?.[1] !== undefined ? parseInt(match[1], 8) : O_CLOEXEC;
  } catch {
    return O_CLOEXEC;
  }
}
