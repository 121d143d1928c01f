import { fchownSync, lchownSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { errorCode } from '../errors.js';

/**
 * StrictModes-like checks (docs/config.md "File permissions"): the file and every directory above it must be
 * owned by root or the running user and not writable by group or others. A sticky
 * directory is accepted: nobody else can replace an entry in it. With `secret`, the file
 * must not be readable by others either. Returns one message per violation.
 */
export function checkSecureFile(path: string, options: { secret: boolean }): string[] {
  let real: string;
  let stats: Stats;
  try {
    // The C library's realpath: Node's JS version walks the path with one lstat per part.
    real = realpathSync.native(path);
    stats = statSync(real);
  } catch (error) {
    return [`cannot be read: ${errorCode(error)}`];
  }
  if (!stats.isFile()) return ['is not a regular file'];
  const uid = process.getuid?.() ?? 0;
  const problems: string[] = [];
  const ownerOk = (s: Stats): boolean => s.uid === 0 || s.uid === uid;
  if (!ownerOk(stats)) problems.push(`${real} is owned by uid ${stats.uid}, not root or the running user`);
  if ((stats.mode & 0o022) !== 0) problems.push(`${real} is writable by group or others (mode ${modeText(stats)})`);
  if (options.secret && (stats.mode & 0o004) !== 0) {
    problems.push(`${real} holds a secret and is readable by others (mode ${modeText(stats)})`);
  }
  // Both chains: the one the operator named (whose symlinks could be swapped) and the real one.
  problems.push(...directoryProblems(new Set([...ancestors(resolve(path)), ...ancestors(real)]), { foreignOwnerOk: false }));
  return problems;
}

/**
 * §4.6 for a directory Portcullis writes in (state_dir, the audit log's directory): `dir`
 * itself and every directory above it, on the named and the real chain. Running as root (an
 * operator trying a request by hand), a directory owned by another account is accepted.
 */
export function checkDirectoryChain(dir: string): string[] {
  const named = resolve(dir);
  try {
    const real = realpathSync.native(named);
    return directoryProblems(new Set([named, ...ancestors(named), real, ...ancestors(real)]), { foreignOwnerOk: runningAsRoot() });
  } catch (error) {
    return [`directory ${named} cannot be checked: ${errorCode(error)}`];
  }
}

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * docs/protocol.md §8: what Portcullis creates while running as root takes the owner and group of
 * the directory holding it, so a root run never leaves the account a file it cannot write.
 */
export function adoptDirectoryOwner(target: number | string, directory: { uid: number; gid: number }): void {
  if (!runningAsRoot()) return;
  if (typeof target === 'number') fchownSync(target, directory.uid, directory.gid);
  else lchownSync(target, directory.uid, directory.gid);
}

/** The owner and write rules of §4.6 for each directory; statSync throws for a missing one. */
function directoryProblems(dirs: Iterable<string>, options: { foreignOwnerOk: boolean }): string[] {
  const uid = process.getuid?.() ?? 0;
  const problems: string[] = [];
  for (const dir of dirs) {
    const dirStats = statSync(dir);
    if (!dirStats.isDirectory()) {
      problems.push(`${dir} is not a directory`);
      continue;
    }
    if (!options.foreignOwnerOk && dirStats.uid !== 0 && dirStats.uid !== uid) {
      problems.push(`directory ${dir} is owned by uid ${dirStats.uid}, not root or the running user`);
    }
    const sticky = (dirStats.mode & 0o1000) !== 0;
    if ((dirStats.mode & 0o022) !== 0 && !sticky) {
      problems.push(`directory ${dir} is writable by group or others (mode ${modeText(dirStats)})`);
    }
  }
  return problems;
}

export function modeText(stats: { mode: number }): string {
  return (stats.mode & 0o7777).toString(8).padStart(4, '0');
}

function ancestors(path: string): string[] {
  const dirs: string[] = [];
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    dirs.push(dir);
    if (dir === dirname(dir)) return dirs;
  }
}
