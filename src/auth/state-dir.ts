import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errorCode } from '../errors.js';

/**
 * Makes sure the state directory and one subdirectory exist, are ours and are private:
 * anyone else able to write there could pre-claim nonces or erase failure counts.
 */
export function ensurePrivateDir(stateDir: string, sub: string): { path: string } | { error: string } {
  const path = join(stateDir, sub);
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    for (const dir of [stateDir, path]) {
      const stats = statSync(dir);
      const uid = process.getuid?.() ?? 0;
      if (!stats.isDirectory()) return { error: `${dir} is not a directory` };
      if (stats.uid !== uid && stats.uid !== 0) return { error: `${dir} is not owned by the running user or root` };
      if ((stats.mode & 0o022) !== 0) return { error: `${dir} is writable by group or others` };
    }
    return { path };
  } catch (error) {
    return { error: `state dir ${path} is unusable: ${errorCode(error)}` };
  }
}
