import { lstatSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';

/** How much of a tree `writableDirectories` looks at before it stops and says so. */
export const WALK_LIMITS: WalkLimits = { entries: 20000, depth: 16 };

export interface WalkLimits {
  readonly entries: number;
  readonly depth: number;
}

export interface WritableDirectories {
  /** Directories (the root included) that group or others can write. */
  readonly found: string[];
  /** The walk stopped at a limit, so `found` may be incomplete. */
  readonly truncated: boolean;
}

/**
 * Directories at or under `root` writable by anyone but their owner, without following
 * symlinks (the serve-time realpath check already refuses one leading out). Bounded, since
 * `check` must finish on a root that holds millions of files.
 */
export function writableDirectories(root: string, limits: WalkLimits = WALK_LIMITS): WritableDirectories {
  const found: string[] = [];
  let budget = limits.entries;
  let truncated = false;
  const stack: Array<{ dir: string; depth: number }> = [];
  try {
    // The root itself is followed, as serving resolves it; nothing below it is.
    const stats = statSync(root);
    if (!stats.isDirectory()) return { found, truncated };
    if ((stats.mode & 0o022) !== 0) found.push(root);
    stack.push({ dir: root, depth: 0 });
  } catch {
    return { found, truncated };
  }
  while (stack.length > 0) {
    const { dir, depth } = stack.pop() as { dir: string; depth: number }; // INVARIANT: non-empty.
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (--budget < 0) return { found, truncated: true };
      // The entry type comes from readdir (Node lstats itself where the filesystem gives
      // none), so only directories cost an lstat.
      if (!entry.isDirectory()) continue;
      const path = join(dir, entry.name);
      let stats;
      try {
        stats = lstatSync(path);
      } catch {
        continue;
      }
      if (!stats.isDirectory()) continue;
      if ((stats.mode & 0o022) !== 0) found.push(path);
      if (depth + 1 < limits.depth) stack.push({ dir: path, depth: depth + 1 });
      else truncated = true;
    }
  }
  return { found, truncated };
}
