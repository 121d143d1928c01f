import { closeSync, constants, fstatSync, lstatSync, openSync, statSync, accessSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { errorCode } from '../errors.js';
import { adoptDirectoryOwner, checkDirectoryChain, modeText, runningAsRoot } from '../config/_permissions.js';

// O_NONBLOCK: a FIFO planted as the log must fail the open (ENXIO), not block it.
const OPEN_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW | constants.O_NONBLOCK;
// A chained log is read too: its last line says where the chain stands (docs/audit.md).
const READ_WRITE_FLAGS = (OPEN_FLAGS & ~constants.O_WRONLY) | constants.O_RDWR;

/**
 * Opens the audit log by docs/protocol.md §8's rule: never through a symlink, created if missing
 * (as root: with its directory's owner and group), then checked on the open descriptor and
 * its directory chain (§4.6). Returns the descriptor, or every reason it is unusable.
 */
export function openAuditFile(path: string, readable = false): { fd: number } | { error: string } {
  let fd: number;
  try {
    fd = openOrCreate(path, readable ? READ_WRITE_FLAGS : OPEN_FLAGS);
  } catch (error) {
    return { error: `audit log ${path} cannot be opened: ${openErrorText(error)}` };
  }
  let problems: string[];
  try {
    problems = fileProblems(fstatSync(fd), path, () => statOrNull(dirname(path))?.uid ?? null);
  } catch (error) {
    problems = [`${path} cannot be inspected: ${errorCode(error)}`];
  }
  problems.push(...checkDirectoryChain(dirname(path)));
  if (problems.length === 0) return { fd };
  closeSync(fd);
  return { error: `audit log ${path} is unusable: ${problems.join('; ')}` };
}

/** What `check` reports about the audit log: the same defects, without creating it. */
export function inspectAuditLog(path: string): { problems: string[]; warnings: string[]; file: { uid: number; gid: number; mode: string } | null } {
  const dir = dirname(path);
  const chain = checkDirectoryChain(dir);
  try {
    lstatSync(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') return { problems: [`${path} cannot be inspected: ${errorCode(error)}`, ...chain], warnings: [], file: null };
    try {
      accessSync(dir, constants.W_OK | constants.X_OK);
      return { problems: chain, warnings: [], file: null };
    } catch {
      return { problems: [`${dir} does not exist or is not writable, so ${path} cannot be created`, ...chain], warnings: [], file: null };
    }
  }
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (error) {
    return { problems: [`${path} is not appendable: ${openErrorText(error)}`, ...chain], warnings: [], file: null };
  }
  try {
    const stats = fstatSync(fd);
    const dirStats = statOrNull(dir);
    const problems = fileProblems(stats, path, () => dirStats?.uid ?? null);
    const warnings: string[] = [];
    // The owner only: a log created by the account has the account's group, not the directory's.
    if (dirStats !== null && stats.uid !== dirStats.uid) {
      warnings.push(`${path} is owned by uid ${stats.uid}, its directory by uid ${dirStats.uid}: the account that writes the log may not be able to`);
    }
    return { problems: [...problems, ...chain], warnings, file: { uid: stats.uid, gid: stats.gid, mode: modeText(stats) } };
  } finally {
    closeSync(fd);
  }
}

function openOrCreate(path: string, flags: number): number {
  try {
    return openSync(path, flags);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  let fd: number;
  try {
    fd = openSync(path, flags | constants.O_CREAT | constants.O_EXCL, 0o640);
  } catch (error) {
    // Another request created it first (or planted something there): open what is there.
    if (errorCode(error) === 'EEXIST') return openSync(path, flags);
    throw error;
  }
  try {
    adoptDirectoryOwner(fd, statSync(dirname(path)));
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}

/** §8: a regular file owned by root, the running user or (as root) the directory's owner, not writable by group or others. */
function fileProblems(stats: Stats, path: string, directoryOwner: () => number | null): string[] {
  if (!stats.isFile()) return [`${path} is not a regular file`];
  const problems: string[] = [];
  const uid = process.getuid?.() ?? 0;
  const ownerOk = stats.uid === 0 || stats.uid === uid || (runningAsRoot() && stats.uid === directoryOwner());
  if (!ownerOk) problems.push(`${path} is owned by uid ${stats.uid}, not root, the running user or its directory's owner`);
  if ((stats.mode & 0o022) !== 0) problems.push(`${path} is writable by group or others (mode ${modeText(stats)})`);
  return problems;
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null; // The chain check reports a missing directory.
  }
}

function openErrorText(error: unknown): string {
  const code = errorCode(error);
  return code === 'ELOOP' ? 'it is a symbolic link (ELOOP)' : code === 'ENXIO' ? 'it is a FIFO without a reader (ENXIO)' : code;
}
