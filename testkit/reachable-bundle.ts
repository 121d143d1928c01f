import { chmodSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE } from './sshd.js';

/**
 * A copy of the bundle in `dir`, for a throwaway account to run: the checkout may sit under
 * a directory other accounts cannot traverse (a clone in /root, a `mktemp -d` folder), and
 * `dir` (a fixture's 0755 temp directory) is reachable.
 */
export function reachableBundle(dir: string): string {
  const copy = join(dir, 'portcullis.js');
  copyFileSync(BUNDLE, copy);
  chmodSync(copy, 0o755);
  return copy;
}
