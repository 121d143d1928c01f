import { nodeCrypto } from '../builtins.js';
import { closeSync, openSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from './state-dir.js';

export interface LockoutPolicy {
  readonly stateDir: string;
  readonly maxFailures: number;
  readonly lockoutSeconds: number;
}

/** A subject whose failures are counted: a token name or a client address. */
export type LockoutSubject = { readonly kind: 'token' | 'address'; readonly value: string };

function subjectDir(policy: LockoutPolicy, subject: LockoutSubject): { path: string } | { error: string } {
  const id = nodeCrypto().createHash('sha256').update(`${subject.kind}\n${subject.value}`).digest('hex').slice(0, 40);
  return ensurePrivateDir(policy.stateDir, join('failures', id));
}

/**
 * Whether a subject is locked out (CONTRACT §5 step 4): `maxFailures` failures within
 * `lockoutSeconds`, until `lockoutSeconds` after the last one. Each failure is its own
 * file, so concurrent processes never lose a count.
 */
export function isLockedOut(policy: LockoutPolicy, subject: LockoutSubject, nowMs: number): boolean | { error: string } {
  const dir = subjectDir(policy, subject);
  if ('error' in dir) return dir;
  const windowMs = policy.lockoutSeconds * 1000;
  const times: number[] = [];
  for (const entry of readdirSync(dir.path)) {
    const time = Number(entry.split('-')[0]);
    if (!Number.isSafeInteger(time)) continue;
    if (time < nowMs - 2 * windowMs) unlinkQuietly(join(dir.path, entry));
    else times.push(time);
  }
  if (times.length < policy.maxFailures) return false;
  const last = Math.max(...times);
  if (nowMs - last >= windowMs) return false;
  return times.filter((time) => time > last - windowMs).length >= policy.maxFailures;
}

export function recordFailure(policy: LockoutPolicy, subject: LockoutSubject, nowMs: number): true | { error: string } {
  const dir = subjectDir(policy, subject);
  if ('error' in dir) return dir;
  try {
    closeSync(openSync(join(dir.path, `${nowMs}-${nodeCrypto().randomBytes(8).toString('hex')}`), 'wx', 0o600));
    return true;
  } catch (error) {
    return { error: `failure counter: ${error instanceof Error && 'code' in error ? String(error.code) : 'error'}` };
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Pruned by another process.
  }
}
