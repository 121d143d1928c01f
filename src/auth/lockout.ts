import { closeSync, mkdirSync, openSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { nodeCrypto } from '../builtins.js';
import { errorCode } from '../errors.js';
import { adoptDirectoryOwner } from '../config/_permissions.js';
import { counterDir, FAILURES_DIR, type LockoutSubject } from './lockout-layout.js';
import { ensurePrivateDir, type PrivateDir } from './state-dir.js';

export type { CredentialKind, LockoutSubject } from './lockout-layout.js';

export interface LockoutPolicy {
  readonly stateDir: string;
  readonly maxFailures: number;
  readonly lockoutSeconds: number;
}

export type LockoutState = { readonly locked: false } | { readonly locked: true; readonly retryAfterSeconds: number };

/** Filesystem entries one recorded failure may visit while sweeping old counters. */
export const SWEEP_BUDGET = 128;

/**
 * The first of `subjects` that is locked out (docs/protocol.md §5 step 4), in order, or null when
 * none is: `maxFailures` failures within `lockoutSeconds`, until `lockoutSeconds` after the
 * last one. Each failure is its own file, so concurrent processes never lose a count.
 * Reading creates nothing, so callers cannot fill the state directory with names that
 * never failed.
 */
export function firstLockedOut(
  policy: LockoutPolicy,
  subjects: readonly LockoutSubject[],
  nowMs: number,
): { subject: LockoutSubject; retryAfterSeconds: number } | null | { error: string } {
  const root = ensurePrivateDir(policy.stateDir, FAILURES_DIR);
  if ('error' in root) return root;
  for (const subject of subjects) {
    const state = stateOf(policy, counterDir(root.path, subject), nowMs);
    if ('error' in state) return state;
    if (state.locked) return { subject, retryAfterSeconds: state.retryAfterSeconds };
  }
  return null;
}

function stateOf(policy: LockoutPolicy, dir: string, nowMs: number): LockoutState | { error: string } {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (error) {
    return errorCode(error) === 'ENOENT' ? { locked: false } : { error: `failure counter: ${errorCode(error)}` };
  }
  const windowMs = policy.lockoutSeconds * 1000;
  const times: number[] = [];
  for (const entry of entries) {
    const time = failureTime(entry);
    if (time !== null && time >= nowMs - 2 * windowMs) times.push(time);
    else unlinkQuietly(join(dir, entry));
  }
  if (times.length === 0) removeQuietly(dir);
  if (times.length < policy.maxFailures) return { locked: false };
  const last = Math.max(...times);
  const remainingMs = last + windowMs - nowMs;
  if (remainingMs <= 0) return { locked: false };
  if (times.filter((time) => time > last - windowMs).length < policy.maxFailures) return { locked: false };
  return { locked: true, retryAfterSeconds: Math.ceil(remainingMs / 1000) };
}

/**
 * Counts one failure against each subject. First sweeps a bounded number of old counter
 * files, whatever subject they belong to, so a full state directory can recover and one
 * that is not full stays bounded by the failures of the last two windows.
 */
export function recordFailure(policy: LockoutPolicy, subjects: readonly LockoutSubject[], nowMs: number): true | { error: string } {
  const root = ensurePrivateDir(policy.stateDir, FAILURES_DIR);
  if ('error' in root) return root;
  sweepFailures(root.path, nowMs - 2 * policy.lockoutSeconds * 1000, SWEEP_BUDGET);
  const name = `${nowMs}-${nodeCrypto().randomBytes(8).toString('hex')}`;
  for (const subject of subjects) {
    const recorded = recordOne(root, counterDir(root.path, subject), name);
    if (recorded !== true) return recorded;
  }
  return true;
}

function recordOne(root: PrivateDir, dir: string, name: string): true | { error: string } {
  // A concurrent sweep or unlock may remove the directory between mkdir and open: try again.
  for (let attempt = 1; ; attempt++) {
    try {
      // A root run leaves every entry owned like the state dir (docs/protocol.md §8).
      for (const created of [dirname(dir), dir]) {
        mkdirSync(created, { recursive: true, mode: 0o700 });
        adoptDirectoryOwner(created, root);
      }
      const fd = openSync(join(dir, name), 'wx', 0o600);
      try {
        adoptDirectoryOwner(fd, root);
      } finally {
        closeSync(fd);
      }
      return true;
    } catch (error) {
      if (errorCode(error) !== 'ENOENT' || attempt >= 3) return { error: `failure counter: ${errorCode(error)}` };
    }
  }
}

/**
 * Removes failure files older than `cutoffMs` and the directories they leave empty,
 * visiting at most `budget` entries. Each level starts at a random entry, so a sweep that
 * stops early does not always look at the same counters.
 */
export function sweepFailures(root: string, cutoffMs: number, budget: number): void {
  const left = { budget };
  sweepLevel(root, 0, cutoffMs, left);
}

/** Depth 0 lists groups, depth 1 counters, depth 2 failure files. */
function sweepLevel(dir: string, depth: number, cutoffMs: number, left: { budget: number }): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return; // Removed by another process, or not a directory: nothing of ours to sweep.
  }
  if (entries.length === 0) return;
  const start = nodeCrypto().randomInt(entries.length);
  for (let i = 0; i < entries.length && left.budget > 0; i++) {
    left.budget--;
    // INVARIANT: the index is below entries.length.
    const path = join(dir, entries[(start + i) % entries.length] as string);
    if (depth < 2) {
      sweepLevel(path, depth + 1, cutoffMs, left);
      removeQuietly(path);
    } else {
      const time = failureTime(path.slice(dir.length + 1));
      if (time === null || time < cutoffMs) unlinkQuietly(path);
    }
  }
}

/** A failure file is named `MILLISECONDS-RANDOM`, on the clock that dates the proofs. */
function failureTime(entry: string): number | null {
  const time = Number(entry.split('-')[0]);
  return Number.isSafeInteger(time) ? time : null;
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
    // Not empty (a live counter, or another process just failed), or already gone.
  }
}
