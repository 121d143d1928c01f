import { lstatSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { nodeCrypto } from '../builtins.js';
import { errorCode } from '../errors.js';
import { FAILURES_DIR, unlockPath, type UnlockTarget } from './lockout-layout.js';

/**
 * Removes every failure counter of a target (`portcullis unlock`, docs/install.md "Lockouts"): a
 * credential for all its callers, the shared counter of unknown names, or an address.
 * Creates nothing (an operator running this as root must not leave root-owned state
 * behind) and follows no symlink. The directory is renamed away first, so that a request
 * running meanwhile sees either the old counters or none, never a half-removed set.
 * Returns how many counters were cleared.
 */
export function clearLockout(stateDir: string, target: UnlockTarget): { cleared: number } | { error: string } {
  const root = join(stateDir, FAILURES_DIR);
  for (const dir of [stateDir, root]) {
    const problem = privateDirProblem(dir);
    if (problem === 'missing') return { cleared: 0 };
    if (problem !== null) return { error: problem };
  }
  const path = join(root, unlockPath(target));
  const problem = privateDirProblem(path);
  if (problem === 'missing') return { cleared: 0 };
  if (problem !== null) return { error: problem };
  // An address is one counter; a credential or the unknown names hold one per caller.
  let cleared: number;
  try {
    cleared = target.kind === 'address' ? 1 : readdirSync(path).length;
  } catch (error) {
    return { error: `${path}: ${errorCode(error)}` };
  }
  const removed = join(root, `.unlocked-${nodeCrypto().randomBytes(8).toString('hex')}`);
  try {
    renameSync(path, removed);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { cleared: 0 }; // Swept or unlocked meanwhile.
    return { error: `${path}: ${errorCode(error)}` };
  }
  try {
    rmSync(removed, { recursive: true, force: true });
  } catch (error) {
    return { error: `${removed}: ${errorCode(error)} (the counters no longer count; remove it by hand)` };
  }
  return { cleared };
}

function privateDirProblem(dir: string): 'missing' | string | null {
  try {
    const stats = lstatSync(dir);
    if (!stats.isDirectory()) return `${dir} is not a directory`;
    if ((stats.mode & 0o022) !== 0) return `${dir} is writable by group or others`;
    return null;
  } catch (error) {
    return errorCode(error) === 'ENOENT' ? 'missing' : `${dir}: ${errorCode(error)}`;
  }
}
