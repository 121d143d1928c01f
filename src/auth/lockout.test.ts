import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../../testkit/tmp.js';
import { firstLockedOut, recordFailure, SWEEP_BUDGET, type LockoutPolicy, type LockoutSubject } from './lockout.js';

const T0 = 1_800_000_000_000;
const WINDOW_S = 100;

function policy(): LockoutPolicy {
  return { stateDir: join(makeTempDir(), 'state'), maxFailures: 3, lockoutSeconds: WINDOW_S };
}

/** Every entry under failures/ (groups, counters, failure files). */
function entries(p: LockoutPolicy): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? [path, ...walk(path)] : [path];
    });
  return walk(join(p.stateDir, 'failures'));
}

const address = (i: number): LockoutSubject => ({ kind: 'address', address: `10.0.${i >> 8}.${i & 255}` });

describe('failure counters: the sweep of old counters (docs/protocol.md §5 step 4)', () => {
  it('one recorded failure visits a bounded number of entries', () => {
    const p = policy();
    for (let i = 0; i < 600; i++) assert.equal(recordFailure(p, [address(i)], T0), true);
    const before = entries(p).length;
    assert.equal(recordFailure(p, [address(9999)], T0 + 2 * WINDOW_S * 1000 + 1), true);
    const removed = before + 3 - entries(p).length;
    assert.ok(removed > 0 && removed <= SWEEP_BUDGET, `removed ${removed}`);
  });
  it('repeated failures sweep every counter older than twice lockout_seconds, whatever its subject', () => {
    const p = policy();
    const old: LockoutSubject[] = [
      ...Array.from({ length: 400 }, (_, i) => address(i)),
      { kind: 'credential', credential: 'token', name: 'bot', caller: 'key SHA256:a' },
      { kind: 'credential', credential: 'signer', name: 'laptop', caller: 'identity ci' },
      { kind: 'unknown-credential', caller: 'key SHA256:b' },
    ];
    for (const subject of old) recordFailure(p, [subject], T0);
    const later = T0 + 2 * WINDOW_S * 1000 + 1;
    let rounds = 0;
    while (entries(p).some((path) => path.includes(`${T0}-`)) && rounds < 400) recordFailure(p, [address(100_000 + rounds++)], later);
    assert.ok(!entries(p).some((path) => path.includes(`${T0}-`)), 'old failure files remain');
    // The directory now holds only the recent failures: one counter and file each, in one group.
    assert.equal(entries(p).length, 1 + 2 * rounds);
  });
  it('keeps counters younger than twice lockout_seconds', () => {
    const p = policy();
    for (let i = 0; i < 3; i++) recordFailure(p, [address(1)], T0);
    for (let i = 0; i < 50; i++) recordFailure(p, [address(2 + i)], T0 + 2 * WINDOW_S * 1000);
    assert.equal(readdirSync(join(p.stateDir, 'failures', 'address')).length, 51);
  });
  it('locks at maxFailures within the window and reports the seconds left', () => {
    const p = policy();
    const subject = address(7);
    for (let i = 0; i < 3; i++) recordFailure(p, [subject], T0 + i * 1000);
    assert.deepEqual(firstLockedOut(p, [subject], T0 + 2000), { subject, retryAfterSeconds: 100 });
    assert.deepEqual(firstLockedOut(p, [subject], T0 + 101_999), { subject, retryAfterSeconds: 1 });
    assert.equal(firstLockedOut(p, [subject], T0 + 102_000), null);
  });
  it('does not lock when the failures are spread over more than the window', () => {
    const p = policy();
    const subject = address(8);
    for (const at of [0, 60_000, 120_000]) recordFailure(p, [subject], T0 + at);
    assert.equal(firstLockedOut(p, [subject], T0 + 120_000), null);
  });
});
