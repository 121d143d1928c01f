import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { nodeChildProcess } from '../builtins.js';
import { errorCode } from '../errors.js';
import { adoptDirectoryOwner } from '../config/_permissions.js';

/** How the chain's writers are serialised (docs/audit.md "The lock", ADR 0030). */
export interface LockOptions {
  /** `<state_dir>/audit.lock` */
  readonly path: string;
  /** flock(1), by absolute path. */
  readonly tool: string;
  /** Seconds to wait for the lock before the write fails. */
  readonly timeout: number;
  /** Owner for a lock file created as root: the state directory's. */
  readonly owner: { uid: number; gid: number };
}

const LOCK_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Runs `critical` while holding an exclusive flock(2) on the lock file. Node has no flock, so
 * flock(1) takes it on a descriptor it inherits: the lock belongs to the open file description
 * we share, and stays held after flock exits until we close our descriptor. A crash closes it
 * too, so a lock can never go stale and is never stolen.
 */
export function withAuditLock<T>(options: LockOptions, critical: () => T): { value: T } | { error: string } {
  let fd: number;
  try {
    fd = openLockFile(options);
  } catch (error) {
    return { error: `audit lock ${options.path} cannot be opened: ${errorCode(error)}` };
  }
  try {
    const taken = nodeChildProcess().spawnSync(options.tool, ['--exclusive', '--wait', String(options.timeout), '3'], {
      // SECURITY: an empty environment: nothing of the caller's reaches the lock tool.
      env: {},
      stdio: ['ignore', 'ignore', 'ignore', fd],
      timeout: (options.timeout + 5) * 1000,
    });
    if (taken.error !== undefined) return { error: `audit lock: ${options.tool} cannot run: ${errorCode(taken.error)}` };
    if (taken.status !== 0) return { error: `audit lock ${options.path} not taken within ${options.timeout} s (${options.tool} exit ${taken.status ?? taken.signal})` };
    return { value: critical() };
  } finally {
    // Closing our descriptor, the last one on the description, releases the lock.
    closeSync(fd);
  }
}

function openLockFile(options: LockOptions): number {
  try {
    return checkedLock(openSync(options.path, LOCK_FLAGS), options.path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  let fd: number;
  try {
    fd = openSync(options.path, LOCK_FLAGS | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return checkedLock(openSync(options.path, LOCK_FLAGS), options.path);
    throw error;
  }
  adoptDirectoryOwner(fd, options.owner);
  return fd;
}

function checkedLock(fd: number, path: string): number {
  if (fstatSync(fd).isFile()) return fd;
  closeSync(fd);
  throw Object.assign(new Error(`${path} is not a regular file`), { code: 'ENOTREG' });
}
