import { closeSync, mkdirSync, openSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { nodeCrypto } from '../builtins.js';
import { errorCode } from '../errors.js';
import { adoptDirectoryOwner } from '../config/_permissions.js';
import { ensurePrivateDir } from './state-dir.js';

export interface LockoutPolicy {
  readonly stateDir: string;
  readonly maxFailures: number;
  readonly lockoutSeconds: number;
}

/** A subject whose failures are counted: a token name or a client address. */
export type LockoutSubject = { readonly kind: 'token' | 'address'; readonly value: string };

function subjectName(subject: LockoutSubject): string {
  return nodeCrypto().createHash('sha256').update(`${subject.kind}\n${subject.value}`).digest('hex').slice(0, 40);
}

/**
 * Whether a subject is locked out (CONTRACT §5 step 4): `maxFailures` failures within
 * `lockoutSeconds`, until `lockoutSeconds` after the last one. Each failure is its own
 * file, so concurrent processes never lose a count. Reading creates nothing, so callers
 * cannot fill the state directory with names that never failed.
 */
export function isLockedOut(policy: LockoutPolicy, subject: LockoutSubject, nowMs: number): boolean | { error: string } {
  const root = ensurePrivateDir(policy.stateDir, 'failures');
  if ('error' in root) return root;
  const dir = join(root.path, subjectName(subject));
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (error) {
    return errorCode(error) === 'ENOENT' ? false : { error: `failure counter: ${errorCode(error)}` };
  }
  const windowMs = policy.lockoutSeconds * 1000;
  const times: number[] = [];
  for (const entry of entries) {
    const time = Number(entry.split('-')[0]);
    if (Number.isSafeInteger(time) && time >= nowMs - 2 * windowMs) times.push(time);
    else unlinkQuietly(join(dir, entry));
  }
  if (times.length === 0) removeQuietly(dir);
  if (times.length < policy.maxFailures) return false;
  const last = Math.max(...times);
  if (nowMs - last >= windowMs) return false;
  return times.filter((time) => time > last - windowMs).length >= policy.maxFailures;
}

export function recordFailure(policy: LockoutPolicy, subject: LockoutSubject, nowMs: number): true | { error: string } {
  const root = ensurePrivateDir(policy.stateDir, 'failures');
  if ('error' in root) return root;
  const dir = join(root.path, subjectName(subject));
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    adoptDirectoryOwner(dir, root);
    const fd = openSync(join(dir, `${nowMs}-${nodeCrypto().randomBytes(8).toString('hex')}`), 'wx', 0o600);
    try {
      adoptDirectoryOwner(fd, root);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (error) {
    return { error: `failure counter: ${errorCode(error)}` };
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Pruned by another process.
  }
}

function removeQuietly(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Not empty any more (another process just failed), or already gone.
  }
}
