import { nodeCrypto } from '../builtins.js';
import { closeSync, futimesSync, openSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { errorCode } from '../errors.js';
import { adoptDirectoryOwner } from '../config/_permissions.js';
import { ensurePrivateDir } from './state-dir.js';

export type ClaimResult = 'claimed' | 'replayed' | { error: string };

/**
 * Records a (token, nonce) pair with an exclusive create (docs/protocol.md §5 step 3): of any
 * number of processes racing the same proof, exactly one claims it. Entries older than
 * twice the window are pruned; by then their timestamps are stale anyway.
 */
export function claimNonce(stateDir: string, token: string, nonce: string, windowSeconds: number, nowMs: number): ClaimResult {
  const dir = ensurePrivateDir(stateDir, 'replay');
  if ('error' in dir) return dir;
  const name = nodeCrypto().createHash('sha256').update(`${token}\n${nonce.toLowerCase()}`).digest('hex');
  try {
    const fd = openSync(join(dir.path, name), 'wx', 0o600);
    adoptDirectoryOwner(fd, dir);
    // The entry's age is measured on the same clock as the proofs, not the filesystem's.
    futimesSync(fd, nowMs / 1000, nowMs / 1000);
    closeSync(fd);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return 'replayed';
    return { error: `replay store: ${errorCode(error)}` };
  }
  pruneOlderThan(dir.path, nowMs - 2 * windowSeconds * 1000);
  return 'claimed';
}

function pruneOlderThan(dir: string, cutoffMs: number): void {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    try {
      if (statSync(path).mtimeMs < cutoffMs) unlinkSync(path);
    } catch {
      // Another process pruned it first.
    }
  }
}
