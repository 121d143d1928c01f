import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { authenticate, computeProof, proofMessage } from './index.js';
import { signedRequestLine } from '../cli/sign.js';
import { parseRequest, type ProofFields } from '../request/index.js';
import { configFrom } from '../../testkit/config.js';

interface Vector {
  name: string;
  server_id: string;
  token: string;
  secret_text?: string;
  secret_hex?: string;
  ts: string;
  nonce: string;
  command_text: string;
  proof: string;
}
const vectors = (JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'test', 'vectors', 'proof.json'), 'utf8')) as { vectors: Vector[] }).vectors;
const secretOf = (v: Vector): Buffer => (v.secret_hex !== undefined ? Buffer.from(v.secret_hex, 'hex') : Buffer.from(v.secret_text ?? '', 'utf8'));

const SECRET = Buffer.from('0123456789abcdef0123456789abcdef', 'utf8');
const T0 = 1_800_000_000;
const ACTIONS = `
[tokens.bot]
secret = "hex:${SECRET.toString('hex')}"
level = "admin"
tags = ["deploy"]
[tokens.other]
secret = "hex:${'cd'.repeat(16)}"
level = "ops"
[domains.app]
description = "App"
[domains.app.actions.deploy]
description = "Deploy"
level = "admin"
exec = ["/bin/true"]
`;

function setup(serverExtra = 'proof_window = 60\nmax_auth_failures = 3\nlockout_seconds = 100\nid = "host-a"') {
  return configFrom(ACTIONS, serverExtra);
}

function fieldsFor(line: string): { fields: ProofFields; command: string } {
  const parsed = parseRequest(line, 8192);
  assert.ok(parsed.ok && parsed.value.proofFields !== null);
  return { fields: parsed.value.proofFields, command: parsed.value.commandText };
}

function signed(opts: { token?: string; secret?: Buffer; ts?: number; nonce?: string; command?: string; serverId?: string } = {}): string {
  const nonce = opts.nonce ?? Math.random().toString(16).slice(2).padEnd(16, '0').slice(0, 16) + 'aa';
  return signedRequestLine(opts.secret ?? SECRET, opts.serverId ?? 'host-a', opts.token ?? 'bot', String(opts.ts ?? T0), nonce, opts.command ?? 'app deploy');
}

function attempt(config: ReturnType<typeof setup>['config'], line: string, nowSeconds = T0, address: string | null = '192.0.2.1') {
  const { fields, command } = fieldsFor(line);
  return authenticate(config, fields, command, address, nowSeconds * 1000);
}

function reasonOf(result: ReturnType<typeof attempt>): string {
  return result.ok ? 'ok' : `${result.error.code}:${result.error.reason ?? ''}`;
}

describe('proof message and known-answer vectors (test/vectors/proof.json)', () => {
  for (const v of vectors) {
    it(`computeProof matches openssl: ${v.name}`, () => {
      assert.equal(computeProof(secretOf(v), proofMessage(v.server_id, v.token, v.ts, v.nonce, v.command_text)), v.proof);
    });
    it(`sign produces the vector's line: ${v.name}`, () => {
      assert.equal(
        signedRequestLine(secretOf(v), v.server_id, v.token, v.ts, v.nonce, v.command_text),
        `+token=${v.token} +ts=${v.ts} +nonce=${v.nonce} +proof=${v.proof} ${v.command_text}`,
      );
    });
    it(`the verifier accepts the vector: ${v.name}`, () => {
      const secret = v.secret_hex !== undefined ? `hex:${v.secret_hex}` : `b64:${Buffer.from(v.secret_text ?? '').toString('base64')}`;
      const { config } = configFrom(`[tokens.${v.token}]\nsecret = "${secret}"\nlevel = "admin"\n`, `id = "${v.server_id}"`);
      const line = `+token=${v.token} +ts=${v.ts} +nonce=${v.nonce} +proof=${v.proof.toUpperCase()} ${v.command_text}`;
      assert.equal(reasonOf(attempt(config, line, Number(v.ts))), 'ok');
    });
  }
  it('the message is the six fields joined by LF, with no trailing newline', () => {
    assert.equal(proofMessage('id', 'tok', '1', 'ab', 'app run'), 'portcullis-proof-v1\nid\ntok\n1\nab\napp run');
  });
});

describe('authenticate: refusal reasons, in the order of CONTRACT §5', () => {
  it('grants the token level and tags for a valid proof', () => {
    const result = attempt(setup().config, signed());
    assert.ok(result.ok);
    assert.deepEqual(result.value, { token: 'bot', level: 'admin', tags: ['deploy'] });
  });
  it('invalid: a wrong proof', () => assert.equal(reasonOf(attempt(setup().config, signed({ secret: Buffer.alloc(32, 1) }))), 'auth_failed:invalid'));
  it('invalid: an unknown token, with the same message as a wrong proof', () => {
    const { config } = setup();
    const unknown = attempt(config, signed({ token: 'nobody' }));
    const wrong = attempt(config, signed({ secret: Buffer.alloc(32, 1) }));
    assert.ok(!unknown.ok && !wrong.ok);
    assert.deepEqual({ ...unknown.error }, { ...wrong.error });
  });
  it('invalid: a proof for another command', () => {
    const line = signed({ command: 'app status' }).replace('app status', 'app deploy');
    assert.equal(reasonOf(attempt(setup().config, line)), 'auth_failed:invalid');
  });
  it('invalid: a proof for another server id', () => assert.equal(reasonOf(attempt(setup().config, signed({ serverId: 'host-b' }))), 'auth_failed:invalid'));
  it('invalid is checked before stale: a wrong proof with an old ts is invalid', () => {
    assert.equal(reasonOf(attempt(setup().config, signed({ secret: Buffer.alloc(32, 1), ts: T0 - 9999 }))), 'auth_failed:invalid');
  });
  it('window edge: exactly proof_window seconds old passes', () => assert.equal(reasonOf(attempt(setup().config, signed({ ts: T0 - 60 }))), 'ok'));
  it('window edge: exactly proof_window seconds ahead passes', () => assert.equal(reasonOf(attempt(setup().config, signed({ ts: T0 + 60 }))), 'ok'));
  it('window edge: one second older is stale', () => assert.equal(reasonOf(attempt(setup().config, signed({ ts: T0 - 61 }))), 'auth_failed:stale'));
  it('window edge: one second further ahead is stale', () => assert.equal(reasonOf(attempt(setup().config, signed({ ts: T0 + 61 }))), 'auth_failed:stale'));
  it('replayed: the same proof twice', () => {
    const { config } = setup();
    const line = signed();
    assert.equal(reasonOf(attempt(config, line)), 'ok');
    assert.equal(reasonOf(attempt(config, line)), 'auth_failed:replayed');
  });
  it('replayed: the same nonce in another case, re-signed', () => {
    const { config } = setup();
    assert.equal(reasonOf(attempt(config, signed({ nonce: 'abcdef0123456789' }))), 'ok');
    assert.equal(reasonOf(attempt(config, signed({ nonce: 'ABCDEF0123456789' }))), 'auth_failed:replayed');
  });
  it('the same nonce under another token is not a replay', () => {
    const { config } = setup();
    assert.equal(reasonOf(attempt(config, signed({ nonce: 'abcdef0123456789' }))), 'ok');
    assert.equal(reasonOf(attempt(config, signed({ nonce: 'abcdef0123456789', token: 'other', secret: Buffer.alloc(16, 0xcd) }))), 'ok');
  });
  const malformed: Array<[string, string]> = [
    ['a missing +proof', '+token=bot +ts=1 +nonce=00112233445566778 app deploy'],
    ['a 15-character nonce', `+token=bot +ts=${T0} +nonce=${'a'.repeat(15)} +proof=${'0'.repeat(64)} app deploy`],
    ['a 65-character nonce', `+token=bot +ts=${T0} +nonce=${'a'.repeat(65)} +proof=${'0'.repeat(64)} app deploy`],
    ['a non-hex proof', `+token=bot +ts=${T0} +nonce=${'a'.repeat(16)} +proof=${'g'.repeat(64)} app deploy`],
    ['a 63-character proof', `+token=bot +ts=${T0} +nonce=${'a'.repeat(16)} +proof=${'0'.repeat(63)} app deploy`],
    ['a ts with a leading zero', `+token=bot +ts=0${T0} +nonce=${'a'.repeat(16)} +proof=${'0'.repeat(64)} app deploy`],
    ['a negative ts', `+token=bot +ts=-1 +nonce=${'a'.repeat(16)} +proof=${'0'.repeat(64)} app deploy`],
  ];
  for (const [name, line] of malformed) it(`malformed: ${name}`, () => assert.equal(reasonOf(attempt(setup().config, line)), 'auth_failed:malformed'));
});

describe('authenticate: lockout', () => {
  it('locks a token out after max_auth_failures, without checking further proofs', () => {
    const { config } = setup();
    for (let i = 0; i < 3; i++) assert.equal(reasonOf(attempt(config, signed({ secret: Buffer.alloc(32, 1) }), T0 + i, `198.51.100.${i}`)), 'auth_failed:invalid');
    assert.equal(reasonOf(attempt(config, signed({ ts: T0 + 3 }), T0 + 3, '203.0.113.9')), 'locked_out:');
  });
  it('locks a client address out across tokens', () => {
    const { config } = setup();
    for (let i = 0; i < 3; i++) attempt(config, signed({ token: 'nobody', ts: T0 + i }), T0 + i, '192.0.2.77');
    assert.equal(reasonOf(attempt(config, signed({ ts: T0 + 3 }), T0 + 3, '192.0.2.77')), 'locked_out:');
    assert.equal(reasonOf(attempt(config, signed({ ts: T0 + 3 }), T0 + 3, '192.0.2.78')), 'ok');
  });
  it('expires lockout_seconds after the last counted failure, and locked attempts do not count', () => {
    const { config } = setup();
    for (let i = 0; i < 3; i++) attempt(config, signed({ secret: Buffer.alloc(32, 1), ts: T0 + i }), T0 + i, null);
    for (let i = 0; i < 5; i++) assert.equal(reasonOf(attempt(config, signed({ secret: Buffer.alloc(32, 1), ts: T0 + 50 }), T0 + 50, null)), 'locked_out:');
    assert.equal(reasonOf(attempt(config, signed({ ts: T0 + 101 }), T0 + 101, null)), 'locked_out:');
    assert.equal(reasonOf(attempt(config, signed({ ts: T0 + 102 }), T0 + 102, null)), 'ok');
  });
  it('stale and replayed proofs count as failures too', () => {
    const { config } = setup();
    const line = signed();
    attempt(config, line, T0, null);
    attempt(config, line, T0 + 1, null);
    attempt(config, signed({ ts: T0 - 500 }), T0 + 2, null);
    attempt(config, signed({ ts: T0 - 500 }), T0 + 3, null);
    assert.equal(reasonOf(attempt(config, signed({ ts: T0 + 4 }), T0 + 4, null)), 'locked_out:');
  });
});

describe('authenticate: the state directory', () => {
  it('creates a missing state dir with mode 0700', () => {
    const { config, dir } = setup();
    attempt(config, signed());
    assert.equal(statSync(join(dir, 'state')).mode & 0o777, 0o700);
  });
  it('fails closed (service_unavailable) when the state dir is writable by others', () => {
    const { config, dir } = setup();
    mkdirSync(join(dir, 'state'));
    chmodSync(join(dir, 'state'), 0o777);
    assert.equal(reasonOf(attempt(config, signed())), 'service_unavailable:');
  });
  it('fails closed when the state dir cannot be created (a file is in the way)', () => {
    const { config, dir } = setup();
    writeFileSync(join(dir, 'state'), 'not a directory');
    assert.equal(reasonOf(attempt(config, signed())), 'service_unavailable:');
  });
});

describe('authenticate: the state directory does not grow for names that never failed', () => {
  it('creates no counter for subjects that are only checked, and removes empty ones', async () => {
    const { readdirSync } = await import('node:fs');
    const { config, dir } = setup();
    for (let i = 0; i < 4; i++) attempt(config, signed({ token: `ghost${i}`, ts: T0 + i }), T0 + i, '192.0.2.200');
    const failures = join(dir, 'state', 'failures');
    // One address and the names that failed before the address was locked out (3).
    assert.equal(readdirSync(failures).length, 4);
    for (let i = 0; i < 5; i++) attempt(config, signed({ token: `fresh${i}` }), T0 + 10, '192.0.2.200');
    assert.equal(readdirSync(failures).length, 4, 'locked-out attempts created counters');
    attempt(config, signed({ ts: T0 + 1000 }), T0 + 1000, '192.0.2.201');
    assert.equal(readdirSync(failures).length, 4);
    // ghost0's old counter is pruned when next checked, then its new failure recreates it,
    // beside the new address: .200, ghost1, ghost2, .201, ghost0.
    attempt(config, signed({ token: 'ghost0', ts: T0 + 1000 }), T0 + 1000, '192.0.2.201');
    assert.equal(readdirSync(failures).length, 5);
  });
});
