import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeChainHost, readLines, rechain, sessionWriter, verifyAudit, writeLines, type ChainHost } from '../../testkit/audit-chain.js';
import { BUNDLE } from '../../testkit/sshd.js';
import { makeTestKey } from '../../testkit/sshsig.js';
import { makeTempDir } from '../../testkit/tmp.js';

// docs/audit.md: every kind of tampering with a chained log is caught by verify-audit,
// exit 2, with the first bad line named; the writers themselves never break the chain.

const WRITERS = 20;
const REQUESTS = 10;

/** A host with a few records written by the bundle, one request at a time. */
function hostWithRecords(requests = 4): { host: ChainHost; lines: string[] } {
  const host = makeChainHost();
  for (let i = 0; i < requests; i++) assert.equal(host.run(`t echo msg=r${i}`).status, 0);
  const lines = readLines(host.log);
  assert.equal(verifyAudit(['--audit-log', host.log]).status, 0, 'the untouched log must verify: else the test cannot fail');
  return { host, lines };
}

function expectProblem(args: readonly string[], kind: string, line: number): void {
  const r = verifyAudit(args);
  assert.equal(r.status, 2, JSON.stringify(r.json));
  assert.equal(r.json.ok, false);
  assert.deepEqual([r.json.problem?.kind, r.json.problem?.line], [kind, line], JSON.stringify(r.json.problem));
}

describe('AUDIT: concurrent writers keep one chain', () => {
  it(`AUDIT-001 ${WRITERS} bundle processes appending at once leave an intact chain, one record per seq`, async () => {
    const host = makeChainHost();
    await Promise.all(Array.from({ length: WRITERS }, (_, k) => sessionWriter(host, REQUESTS, `w${k}`)));
    const r = verifyAudit(['--audit-log', host.log]);
    assert.equal(r.status, 0, JSON.stringify(r.json.problem));
    // Each session: its `session` decision, REQUESTS decisions and outcomes, its session_end.
    const expected = WRITERS * (2 * REQUESTS + 2);
    assert.equal(r.json.records, expected);
    assert.deepEqual([r.json.first_seq, r.json.last_seq], [0, expected - 1]);
    assert.equal(readLines(host.log).filter((line) => line.includes('"event":"chain_reset"')).length, 0);
  });

  it('AUDIT-002 the same writers without the lock (a lock tool that takes none) break the chain: the test above can fail', async () => {
    const host = makeChainHost('enabled = true, lock_tool = "/bin/true"');
    // Unlocked writers also race on the head's temporary file: some records fail (fail closed).
    await Promise.all(Array.from({ length: WRITERS }, (_, k) => sessionWriter(host, REQUESTS, `w${k}`).catch(() => undefined)));
    const r = verifyAudit(['--audit-log', host.log]);
    assert.equal(r.status, 2, 'unlocked writers left an intact chain');
    assert.ok(['inserted', 'edited', 'reset', 'deleted', 'reordered'].includes(r.json.problem?.kind ?? ''), JSON.stringify(r.json.problem));
  });
});

describe('AUDIT: tampering is caught and the first bad line named', () => {
  it('AUDIT-003 an edited line (its chain left as it was) is "edited" at that line', () => {
    const { host, lines } = hostWithRecords();
    lines[2] = (lines[2] as string).replace('"identity":"', '"identity":"x');
    writeLines(host.log, lines);
    expectProblem(['--audit-log', host.log], 'edited', 3);
  });

  it('AUDIT-004 an edited line whose own chain was recomputed is caught by the next line\'s prev', () => {
    const { host, lines } = hostWithRecords();
    lines[2] = (lines[2] as string).replace('"identity":"', '"identity":"x');
    const rechained = rechain(lines, 2);
    // Only line 3 re-chained, line 4 on as they were: line 4 still names line 3's old chain.
    writeLines(host.log, [...rechained.slice(0, 3), ...lines.slice(3)]);
    expectProblem(['--audit-log', host.log], 'edited', 3);
  });

  it('AUDIT-005 an inserted line (a copy of an earlier record) is "inserted"', () => {
    const { host, lines } = hostWithRecords();
    writeLines(host.log, [...lines.slice(0, 4), lines[1] as string, ...lines.slice(4)]);
    expectProblem(['--audit-log', host.log], 'inserted', 5);
  });

  it('AUDIT-006 a deleted line is "deleted" at the line after the gap', () => {
    const { host, lines } = hostWithRecords();
    writeLines(host.log, [...lines.slice(0, 3), ...lines.slice(4)]);
    expectProblem(['--audit-log', host.log], 'deleted', 4);
  });

  it('AUDIT-007 two lines swapped are "reordered"', () => {
    const { host, lines } = hostWithRecords();
    writeLines(host.log, [...lines.slice(0, 2), lines[3] as string, lines[2] as string, ...lines.slice(4)]);
    expectProblem(['--audit-log', host.log], 'reordered', 3);
  });

  it('AUDIT-008 a cut head is "head_cut" at line 1; --segment (a rotated part) accepts a later start', () => {
    const { host, lines } = hostWithRecords();
    writeLines(host.log, lines.slice(2));
    expectProblem(['--audit-log', host.log], 'head_cut', 1);
    assert.equal(verifyAudit(['--audit-log', host.log, '--segment']).status, 0);
  });

  it('AUDIT-009 a cut tail passes a keyless check (the documented limit), fails against a seal, and the next writer records a chain_reset', () => {
    const { host, lines } = hostWithRecords();
    const { key, seals } = sealKit(host);
    assert.equal(seal(host, key, seals).status, 0);
    writeLines(host.log, lines.slice(0, -2));
    // Without a seal or a shipped copy, nothing in the file itself says records were removed.
    assert.equal(verifyAudit(['--audit-log', host.log]).status, 0);
    expectProblem(['--audit-log', host.log, '--seals', seals], 'tail_cut', lines.length - 1);
    assert.equal(host.run('t echo msg=after').status, 0);
    expectProblem(['--audit-log', host.log], 'reset', lines.length - 1);
    const reset = JSON.parse(readLines(host.log)[lines.length - 2] as string);
    assert.equal(reset.event, 'chain_reset');
    assert.match(reset.reason, /cut from its end/);
  });

  it('AUDIT-019 records cut from the start of a rotated part pass --segment alone, and fail against a seal made on that file', () => {
    const { host } = hostWithRecords();
    const { key, seals } = sealKit(host);
    assert.equal(seal(host, key, seals).status, 0);
    for (let i = 0; i < 2; i++) assert.equal(host.run(`t echo msg=later${i}`).status, 0);
    // Everything up to and past the sealed record goes: only the last three records stay.
    writeLines(host.log, readLines(host.log).slice(-3));
    // A rotated part may start after genesis: without a seal, a cut head looks like one.
    assert.equal(verifyAudit(['--audit-log', host.log, '--segment']).status, 0);
    expectProblem(['--audit-log', host.log, '--segment', '--seals', seals, '--key', `file:${key}`], 'head_cut', 1);
    assert.notEqual(seal(host, key, seals).status, 0, 'audit seal sealed a log whose head was cut');
  });

  it('AUDIT-010 a missing log, an empty log and a missing seal log all fail', () => {
    const host = makeChainHost();
    expectProblem(['--audit-log', host.log], 'missing', 0);
    writeFileSync(host.log, '');
    expectProblem(['--audit-log', host.log], 'empty', 0);
    assert.equal(host.run('t echo msg=x').status, 0);
    assert.equal(verifyAudit(['--audit-log', host.log]).status, 0);
    // Asked to check seals and finding none to check is not a pass.
    expectProblem(['--audit-log', host.log, '--seals', join(host.dir, 'no-such-seals.jsonl')], 'unreadable', 0);
  });

  it('AUDIT-011 an unchained log is "unchained"; turning the chain on over it writes a visible chain_reset, and check warns first', () => {
    const host = makeChainHost('enabled = false');
    assert.equal(host.run('t echo msg=plain').status, 0);
    expectProblem(['--audit-log', host.log], 'unchained', 1);
    const chained = makeChainHost('enabled = true', host.dir);
    const check = spawnSync(BUNDLE, ['check', '--config', chained.config, '--json'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    const warnings = JSON.parse(check.stdout).warnings as Array<{ path: string; message: string }>;
    assert.ok(warnings.some((w) => w.path === 'server.audit_chain' && /chain_reset/.test(w.message)), check.stdout);
    assert.equal(chained.run('t echo msg=chained').status, 0);
    const records = readLines(host.log).map((line) => JSON.parse(line));
    assert.equal(records[2].event, 'chain_reset');
    assert.match(records[2].reason, /not chained/);
  });
});

describe('AUDIT: fail closed', () => {
  it('AUDIT-015 a lock tool that cannot run refuses the request before anything runs, and check names it', () => {
    const working = makeChainHost();
    assert.equal(working.run('t mark').status, 0);
    assert.ok(existsSync(join(working.dir, 'ran')), 'with a working lock the action runs');
    const host = makeChainHost('enabled = true, lock_tool = "/nonexistent/flock"');
    const r = host.run('t mark');
    assert.equal(r.status, 129);
    assert.equal(JSON.parse(r.stdout).error.code, 'service_unavailable');
    assert.deepEqual(readLinesOrNone(host.log), []);
    assert.equal(existsSync(join(host.dir, 'ran')), false, 'the action ran without its decision record');
    const check = spawnSync(BUNDLE, ['check', '--config', host.config, '--json'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    assert.equal(check.status, 129);
    assert.ok(JSON.parse(check.stdout).errors.some((e: { path: string }) => e.path === 'server.audit_chain.lock_tool'), check.stdout);
  });
});

describe('AUDIT: check', () => {
  it('names a bad state_dir once, with a signer and the chain both needing it', () => {
    const dir = makeTempDir('portcullis-audit-');
    writeFileSync(join(dir, 'state'), 'a file, not a directory');
    const host = makeChainHost('enabled = true', dir, `[signers.release]\npublic_key = "${makeTestKey('ed25519').line}"\nlevel = "admin"\n`);
    const check = spawnSync(BUNDLE, ['check', '--config', host.config, '--json'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    assert.equal(check.status, 129, check.stdout);
    const paths = (JSON.parse(check.stdout).errors as Array<{ path: string }>).map((e) => e.path);
    assert.equal(paths.filter((p) => p === 'server.state_dir').length, 1, check.stdout);
  });
});

describe('AUDIT: the chain off', () => {
  it('takes no lock, writes no head and opens nothing else: a lock tool that cannot run does not matter, and no state dir is made', () => {
    const host = makeChainHost('enabled = false, lock_tool = "/nonexistent/flock"');
    assert.equal(host.run('t mark').status, 0);
    assert.ok(existsSync(join(host.dir, 'ran')));
    assert.equal(existsSync(host.stateDir), false, 'the state dir was made: chain work ran');
    const records = readLines(host.log).map((line) => JSON.parse(line));
    assert.deepEqual(records.map((r) => [r.event, 'seq' in r, 'chain' in r]), [['decision', false, false], ['outcome', false, false]]);
  });
});

describe('AUDIT: seals', () => {
  it('AUDIT-014 a seal whose HMAC does not match the key is refused as forged (kind forged_seal), a garbled seal as bad_seal, an unusable key as bad_key', () => {
    const { host } = hostWithRecords();
    const { key, seals } = sealKit(host);
    assert.equal(seal(host, key, seals).status, 0);
    const sealed = readLines(seals);
    const forged = sealed.map((line) => line.replace(/"hmac":"[0-9a-f]/, (m) => m.slice(0, -1) + (m.endsWith('0') ? '1' : '0')));
    writeLines(seals, forged);
    const withKey = ['--audit-log', host.log, '--seals', seals, '--key', `file:${key}`];
    expectProblem(withKey, 'forged_seal', 0);
    assert.equal(verifyAudit(['--audit-log', host.log, '--seals', seals]).status, 0, 'without the key, only the chain values count');
    writeLines(seals, sealed.map((line) => line.replace('"seq":', '"sequence":')));
    expectProblem(withKey, 'bad_seal', 0);
    writeLines(seals, sealed);
    chmodSync(key, 0o644);
    expectProblem(withKey, 'bad_key', 0);
    chmodSync(key, 0o600);
    assert.equal(verifyAudit(withKey).status, 0, 'the untouched seal log and key verify');
  });

  it('AUDIT-016 audit seal refuses to seal a log that does not verify, and appends nothing', () => {
    const { host, lines } = hostWithRecords();
    const { key, seals } = sealKit(host);
    lines[1] = (lines[1] as string).replace('"identity":"', '"identity":"x');
    writeLines(host.log, lines);
    const r = seal(host, key, seals);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not sealed: line 2: edited/);
    assert.deepEqual(readLinesOrNone(seals), []);
  });
});

describe('AUDIT: where seals may live', () => {
  it('AUDIT-018 audit seal refuses a seal log that others could write, or one in a directory they could write', () => {
    const { host } = hostWithRecords();
    const { key } = sealKit(host);
    const open = join(host.dir, 'open');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    const inOpenDir = seal(host, key, join(open, 'seals.jsonl'));
    assert.equal(inOpenDir.status, 129);
    assert.match(inOpenDir.stderr, /writable by group or others/);
    assert.deepEqual(readLinesOrNone(join(open, 'seals.jsonl')), []);
    // One level down: a directory of our own inside one that anyone may rename things in.
    const nested = join(open, 'mine');
    mkdirSync(nested, { mode: 0o755 });
    const deeper = seal(host, key, join(nested, 'seals.jsonl'));
    assert.equal(deeper.status, 129, 'a seal log under a world-writable directory was accepted');
    assert.deepEqual(readLinesOrNone(join(nested, 'seals.jsonl')), []);
    const writable = join(host.dir, 'writable-seals.jsonl');
    writeFileSync(writable, '', { mode: 0o666 });
    chmodSync(writable, 0o666);
    assert.equal(seal(host, key, writable).status, 129);
    assert.deepEqual(readLinesOrNone(writable), []);
  });
});

describe('AUDIT: the seal key', () => {
  it('AUDIT-020 audit seal refuses a key that others may read, that another account owns, or that sits under a world-writable directory', (t) => {
    const { host } = hostWithRecords();
    const { key, seals } = sealKit(host);
    chmodSync(key, 0o644);
    assert.equal(seal(host, key, seals).status, 129, 'a key readable by others was accepted');
    chmodSync(key, 0o600);
    const open = join(host.dir, 'open-keys');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    const swappable = join(open, 'seal.key');
    writeFileSync(swappable, 'a seal key of more than sixteen bytes\n', { mode: 0o600 });
    assert.equal(seal(host, swappable, seals).status, 129, 'a key under a world-writable directory was accepted');
    assert.deepEqual(readLinesOrNone(seals), []);
    assert.equal(seal(host, key, seals).status, 0, 'the same key in its own place is accepted: the refusals above can fail');
    if (process.getuid?.() !== 0) return t.skip('needs root to give the key to another account');
    chownSync(key, 65534, 65534);
    assert.equal(seal(host, key, seals).status, 129, 'a key another account owns (and can read) was accepted');
  });
});

function sealKit(host: ChainHost): { key: string; seals: string } {
  const key = join(host.dir, 'seal.key');
  writeFileSync(key, 'a seal key of more than sixteen bytes\n', { mode: 0o600 });
  return { key, seals: join(host.dir, 'seals.jsonl') };
}

function seal(host: ChainHost, key: string, seals: string): { status: number | null; stderr: string } {
  const r = spawnSync(BUNDLE, ['audit', 'seal', '--audit-log', host.log, '--key', `file:${key}`, '--seals', seals], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  return { status: r.status, stderr: r.stderr };
}

function readLinesOrNone(path: string): string[] {
  try {
    return readLines(path);
  } catch {
    return [];
  }
}
