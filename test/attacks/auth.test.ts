import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signedRequestLine } from '../../src/cli/sign.js';
import { runUnlock } from '../../src/cli/unlock.js';
import { ATTACK_SECRET, makeAttackHost } from '../../testkit/attack-config.js';
import { assertOutcome, ran, refused, type Expected } from '../../testkit/attack-rows.js';
import { serveOnce } from '../../testkit/serve-once.js';

const now = (): number => Math.floor(Date.now() / 1000);
const nonce = (): string => randomBytes(16).toString('hex');
const sign = (command: string, opts: { ts?: number; secret?: Buffer; serverId?: string; token?: string; nonce?: string } = {}): string =>
  signedRequestLine(opts.secret ?? ATTACK_SECRET, opts.serverId ?? 'attack-host', opts.token ?? 'bot', String(opts.ts ?? now()), opts.nonce ?? nonce(), command);

/** Each row builds the requests it sends in order; the last answer is checked. */
const ROWS: ReadonlyArray<readonly [string, string, () => string[], Expected]> = [
  ['AUTH-001', 'refuses a replayed proof', () => { const line = sign('app deploy'); return [line, line]; }, refused('auth_failed', 'replayed')],
  ['AUTH-002', 'refuses a proof signed for another command', () => [sign('app status').replace('app status', 'app deploy')], refused('auth_failed', 'invalid')],
  ['AUTH-003', 'refuses a proof signed for another server id', () => [sign('app deploy', { serverId: 'other-host' })], refused('auth_failed', 'invalid')],
  ['AUTH-004', 'refuses an unknown token name', () => [sign('app deploy', { token: 'ghost' })], refused('auth_failed', 'invalid')],
  ['AUTH-005', 'refuses a proof older than the window', () => [sign('app deploy', { ts: now() - 125 })], refused('auth_failed', 'stale')],
  ['AUTH-006', 'refuses a proof dated beyond the window ahead', () => [sign('app deploy', { ts: now() + 125 })], refused('auth_failed', 'stale')],
  ['AUTH-007', 'refuses partial proof fields', () => [`+token=bot +ts=${now()} app deploy`], refused('auth_failed', 'malformed')],
  ['AUTH-008', 'refuses a proof field placed after the domain', () => [`app +token=bot deploy`], refused('bad_request')],
  ['AUTH-009', 'refuses a repeated proof field', () => [`+token=bot +token=admin app deploy`], refused('bad_request')],
  ['AUTH-010', 'refuses an invented +level field', () => ['+level=admin app deploy'], refused('bad_request')],
  ['AUTH-011', 'never downgrades: a bad proof on an action the key could run is still refused', () => [sign('app status', { secret: Buffer.alloc(32, 7) })], refused('auth_failed', 'invalid')],
  ['AUTH-012', 'locks a token out after repeated wrong proofs', () => [...Array.from({ length: 5 }, () => sign('app deploy', { secret: Buffer.alloc(32, 9) })), sign('app deploy')], refused('locked_out')],
  ['AUTH-013', 'refuses a replay of the same nonce written in uppercase', () => {
    const n = nonce();
    return [sign('app deploy', { nonce: n }), sign('app deploy', { nonce: n.toUpperCase() })];
  }, refused('auth_failed', 'replayed')],
  ['AUTH-014', 'refuses a truncated 63-character proof', () => [sign('app deploy').replace(/\+proof=([0-9a-f]{63})[0-9a-f]/, '+proof=$1')], refused('auth_failed', 'malformed')],
  ['AUTH-015', 'refuses an argument appended to a signed request', () => [`${sign('app deploy channel=stable')} channel=canary`], refused('auth_failed', 'invalid')],
  ['AUTH-016', 'treats "constructor" as an unknown token, not an object property', () => [sign('app deploy', { token: 'constructor' })], refused('auth_failed', 'invalid')],
  ['AUTH-017', 'grants the raise for one request only: the next plain request is at the key level', () => [sign('app deploy'), 'app deploy'], refused('insufficient_level')],
  ['AUTH-018', 'adds the token tags for that request only: a tenant domain opens with a proof', () => [sign('billing report')], ran('revenue\n')],
];

describe('attack catalog: AUTH (token proofs), served in-process', () => {
  for (const [id, attack, build, expected] of ROWS) {
    it(`${id} ${attack}`, async () => {
      // A fresh host per row: lockout counters and replay entries must not leak between rows.
      const host = makeAttackHost('id = "attack-host"\nmax_auth_failures = 5');
      let last = await serveOnce(host.config, null);
      for (const request of build()) last = await serveOnce(host.config, request, { env: { SSH_CLIENT: '192.0.2.10 5555 22' } });
      assertOutcome(last, expected);
    });
  }

  it('AUTH-019 never writes the proof or the secret into the audit log', async () => {
    const host = makeAttackHost();
    const line = sign('app deploy');
    await serveOnce(host.config, line);
    await serveOnce(host.config, line);
    await serveOnce(host.config, line.replace('app deploy', 'app status'));
    const log = JSON.stringify(host.audit());
    const proof = /\+proof=([0-9a-f]{64})/.exec(line)?.[1] ?? 'missing';
    assert.ok(!log.includes(proof), 'the proof reached the audit log');
    assert.ok(!log.includes(ATTACK_SECRET.toString('hex')) && !log.includes(ATTACK_SECRET.toString()), 'the secret reached the audit log');
  });

  it('AUTH-020 answers an unknown token and a wrong proof identically (no token enumeration)', async () => {
    const host = makeAttackHost();
    const unknown = await serveOnce(host.config, sign('app deploy', { token: 'ghost' }));
    const wrong = await serveOnce(host.config, sign('app deploy', { secret: Buffer.alloc(32, 3) }));
    assert.deepEqual(unknown.json?.error, wrong.json?.error);
    assert.equal(unknown.stderr, wrong.stderr);
  });

  it('AUTH-021 does not count malformed proofs towards lockout, so they cannot lock a token out', async () => {
    const host = makeAttackHost('id = "attack-host"\nmax_auth_failures = 3');
    for (let i = 0; i < 5; i++) assert.equal((await serveOnce(host.config, `+token=bot +ts=1 +nonce=zz app deploy`)).json?.error?.reason, 'malformed');
    assertOutcome(await serveOnce(host.config, sign('app deploy'), { argv: ['--level', 'read'] }), ran('deployed stable\n'));
  });
});


/** The environment sshd gives a caller: its address, and (ExposeAuthInfo) the key it used. */
function callerEnv(dir: string, key: string, address: string): Record<string, string> {
  const file = join(dir, `auth-info-${key}`);
  const blob = Buffer.concat([Buffer.from(`key-${key}-`), randomBytes(24)]).toString('base64');
  writeFileSync(file, `publickey ssh-ed25519 ${blob}\n`, { flag: 'wx' });
  return { SSH_CLIENT: `${address} 5555 22`, SSH_USER_AUTH: file };
}

/** Every entry under the failure counters, or none when nothing was recorded. */
function counterEntries(dir: string): string[] {
  const walk = (path: string): string[] =>
    readdirSync(path).flatMap((name) => {
      const child = join(path, name);
      return statSync(child).isDirectory() ? [child, ...walk(child)] : [child];
    });
  try {
    return walk(join(dir, 'state', 'failures'));
  } catch {
    return [];
  }
}

function unlock(config: string, ...args: string[]): number {
  return runUnlock(['--config', config, ...args], { env: {}, out: () => undefined, err: (text) => assert.fail(text) });
}

describe('attack catalog: AUTH (lockout per caller and per address), served in-process', () => {
  const junk = (command = 'app deploy'): string => sign(command, { secret: Buffer.alloc(32, 9) });

  it("AUTH-022 a read key's junk proofs for the release token do not lock a valid proof from another key and address", async () => {
    const host = makeAttackHost('id = "attack-host"\nmax_auth_failures = 3');
    const reader = callerEnv(host.dir, 'reader', '192.0.2.10');
    for (let i = 0; i < 6; i++) await serveOnce(host.config, junk(), { env: reader });
    const release = callerEnv(host.dir, 'release', '192.0.2.20');
    assertOutcome(await serveOnce(host.config, sign('app deploy'), { env: release }), ran('deployed stable\n'));
  });

  it('AUTH-023 locks the junk-sending key out of that token from any address, and says when to retry', async () => {
    const host = makeAttackHost('id = "attack-host"\nmax_auth_failures = 3\nlockout_seconds = 600');
    const env = callerEnv(host.dir, 'reader', '192.0.2.10');
    for (let i = 0; i < 3; i++) await serveOnce(host.config, junk(), { env });
    const elsewhere = { ...env, SSH_CLIENT: '198.51.100.7 4444 22' };
    const locked = await serveOnce(host.config, sign('app deploy'), { env: elsewhere });
    assertOutcome(locked, refused('locked_out'));
    const retryAfter = locked.json?.error?.retry_after;
    assert.ok(Number.isInteger(retryAfter) && retryAfter > 590 && retryAfter <= 600, `retry_after ${retryAfter}`);
  });

  it('AUTH-024 counts retry_after down to the end of the lockout', async () => {
    const host = makeAttackHost('id = "attack-host"\nmax_auth_failures = 2\nlockout_seconds = 4');
    const env = callerEnv(host.dir, 'reader', '192.0.2.10');
    for (let i = 0; i < 2; i++) await serveOnce(host.config, junk(), { env });
    const first = (await serveOnce(host.config, sign('app deploy'), { env })).json?.error?.retry_after;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = (await serveOnce(host.config, sign('app deploy'), { env })).json?.error?.retry_after;
    assert.ok(Number.isInteger(first) && Number.isInteger(second) && second < first && second >= 1, `${first} then ${second}`);
  });

  it('AUTH-025 portcullis unlock clears a token for every caller, and an address', async () => {
    const host = makeAttackHost('id = "attack-host"\nmax_auth_failures = 2');
    const a = callerEnv(host.dir, 'a', '192.0.2.10');
    const b = callerEnv(host.dir, 'b', '192.0.2.11');
    for (const env of [a, b]) for (let i = 0; i < 2; i++) await serveOnce(host.config, junk(), { env });
    assertOutcome(await serveOnce(host.config, sign('app deploy'), { env: { ...b, SSH_CLIENT: '192.0.2.99 1 22' } }), refused('locked_out'));
    assert.equal(unlock(host.config, '--token', 'bot'), 0);
    assertOutcome(await serveOnce(host.config, sign('app deploy'), { env: { ...b, SSH_CLIENT: '192.0.2.99 1 22' } }), ran('deployed stable\n'));
    // Caller a's own address is still locked until that is cleared too.
    assertOutcome(await serveOnce(host.config, sign('app deploy'), { env: a }), refused('locked_out'));
    assert.equal(unlock(host.config, '--address', '192.0.2.10'), 0);
    assertOutcome(await serveOnce(host.config, sign('app deploy'), { env: a }), ran('deployed stable\n'));
  });

  it('AUTH-026 still locks an address out when junk comes from many keys', async () => {
    const host = makeAttackHost('id = "attack-host"\nmax_auth_failures = 3');
    for (let i = 0; i < 3; i++) await serveOnce(host.config, junk(), { env: callerEnv(host.dir, `key${i}`, '192.0.2.40') });
    const fresh = callerEnv(host.dir, 'fresh', '192.0.2.40');
    assertOutcome(await serveOnce(host.config, sign('app deploy'), { env: fresh }), refused('locked_out'));
    assertOutcome(await serveOnce(host.config, sign('app deploy'), { env: { ...fresh, SSH_CLIENT: '192.0.2.41 1 22' } }), ran('deployed stable\n'));
  });

  it('AUTH-027 counts every invented token name of one caller in one counter', async () => {
    const host = makeAttackHost('id = "attack-host"\nmax_auth_failures = 1000');
    const env = callerEnv(host.dir, 'reader', '192.0.2.10');
    for (let i = 0; i < 60; i++) assertOutcome(await serveOnce(host.config, sign('app deploy', { token: `invented${i}` }), { env }), refused('auth_failed', 'invalid'));
    // One address counter and one counter for the unknown names, each with its 60 failures.
    const dirs = counterEntries(host.dir).filter((path) => statSync(path).isDirectory());
    assert.equal(dirs.length, 4, dirs.join('\n'));
  });

  it('AUTH-028 sweeps counters older than twice lockout_seconds, whatever subject they belong to', async () => {
    const host = makeAttackHost('id = "attack-host"\nmax_auth_failures = 1000\nlockout_seconds = 60');
    const old = Date.now() - 121_000;
    for (let i = 0; i < 500; i++) {
      const counter = join(host.dir, 'state', 'failures', i % 2 === 0 ? 'address' : 'unknown', randomBytes(20).toString('hex'));
      mkdirSync(counter, { recursive: true });
      writeFileSync(join(counter, `${old}-${randomBytes(8).toString('hex')}`), '');
    }
    let requests = 0;
    while (counterEntries(host.dir).some((path) => path.includes(`${old}-`)) && requests < 300) {
      await serveOnce(host.config, junk(), { env: { SSH_CLIENT: `10.1.${requests >> 8}.${requests & 255} 1 22` } });
      requests++;
    }
    assert.ok(!counterEntries(host.dir).some((path) => path.includes(`${old}-`)), `old counters remain after ${requests} failures`);
  });

  it('AUTH-029 keeps the private reason of an invalid proof in the audit log, never in the answer (even under --diagnostic)', async () => {
    const host = makeAttackHost();
    const argv = ['--level', 'read', '--diagnostic'];
    const unknown = await serveOnce(host.config, sign('app deploy', { token: 'ghost' }), { argv });
    const wrong = await serveOnce(host.config, junk(), { argv });
    assert.deepEqual(unknown.json?.error, wrong.json?.error);
    assert.equal(unknown.stderr, wrong.stderr);
    const detailOf = (id: unknown): unknown => host.audit().find((record) => record.request_id === id && record.event === 'decision')?.detail;
    assert.equal(detailOf(unknown.json?.request_id), 'unknown_credential');
    assert.equal(detailOf(wrong.json?.request_id), 'bad_proof');
  });
});
