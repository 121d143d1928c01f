import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { signedRequestLine } from '../../src/cli/sign.js';
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

