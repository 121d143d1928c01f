import { accessSync, constants, mkdirSync, statSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { errorCode } from '../errors.js';
import { adoptDirectoryOwner, checkDirectoryChain, runningAsRoot } from '../config/_permissions.js';

/** A private directory under state_dir, with the owner that files created in it must take. */
export interface PrivateDir {
  readonly path: string;
  readonly uid: number;
  readonly gid: number;
}

/**
 * Makes sure the state directory and one subdirectory exist, are ours and are private:
 * anyone else able to write there, or in a directory above (docs/config.md "File permissions"), could rename
 * the replay cache away, pre-claim nonces or erase failure counts.
 */
export function ensurePrivateDir(stateDir: string, sub: string): PrivateDir | { error: string } {
  const path = join(stateDir, sub);
  try {
    createOwned(stateDir);
    createOwned(path);
    // Walked on every call, not memoised: a long-lived session must see a chain that changed.
    const chain = checkDirectoryChain(stateDir);
    if (chain.length > 0) return { error: `state dir ${stateDir} is unusable: ${chain.join('; ')}` };
    let stats: Stats | undefined;
    for (const dir of [stateDir, path]) {
      stats = statSync(dir);
      const problem = privateDirProblem(dir, stats);
      if (problem !== null) return { error: problem };
    }
    return { path, uid: (stats as Stats).uid, gid: (stats as Stats).gid };
  } catch (error) {
    return { error: `state dir ${path} is unusable: ${errorCode(error)}` };
  }
}

/** What `check` reports about state_dir: the same rules, without creating anything. */
export function inspectStateDir(stateDir: string): string[] {
  try {
    const problem = privateDirProblem(stateDir, statSync(stateDir));
    if (problem !== null) return [problem];
    accessSync(stateDir, constants.W_OK | constants.X_OK);
    return checkDirectoryChain(stateDir);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') return [`${stateDir} is not usable: ${errorCode(error)}`];
  }
  const parent = dirname(stateDir);
  try {
    accessSync(parent, constants.W_OK | constants.X_OK);
    return checkDirectoryChain(parent);
  } catch {
    return [`${stateDir} does not exist and ${parent} is not writable`];
  }
}

/** The directory itself: no sticky exception here, nobody else may write in it at all. */
function privateDirProblem(dir: string, stats: Stats): string | null {
  if (!stats.isDirectory()) return `${dir} is not a directory`;
  const uid = process.getuid?.() ?? 0;
  if (stats.uid !== uid && stats.uid !== 0 && !runningAsRoot()) return `${dir} is not owned by the running user or root`;
  if ((stats.mode & 0o022) !== 0) return `${dir} is writable by group or others`;
  return null;
}

/** mkdir, and as root hand the new directory to the owner of the one holding it (§8). */
function createOwned(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return;
    throw error;
  }
  adoptDirectoryOwner(dir, statSync(dirname(dir)));
}
