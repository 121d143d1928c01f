import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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

const READ_KEY = 'key SHA256:read-key';
const RELEASE_KEY = 'key SHA256:release-key';

function attempt(config: ReturnType<typeof setup>['config'], line: string, nowSeconds = T0, address: string | null = '192.0.2.1', caller = READ_KEY) {
  const { fields, command } = fieldsFor(line);
  return authenticate(config, fields, command, { address, caller }, nowSeconds * 1000);
}

function reasonOf(result: ReturnType<typeof attempt>): string {
  return result.ok ? 'ok' : `${result.error.code}:${'reason' in result.error ? result.error.reason : ''}`;
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

describe('authenticate: refusal reasons, in the order of docs/protocol.md §5', () => {
  it('grants the token level and tags for a valid proof', () => {
    const result = attempt(setup().config, signed());
    assert.ok(result.ok);
    assert.deepEqual(result.value, { credential: 'token', name: 'bot', level: 'admin', tags: ['deploy'], keyFingerprint: null });
  });
  it('invalid: a wrong proof', () => assert.equal(reasonOf(attempt(setup().config, signed({ secret: Buffer.alloc(32, 1) }))), 'auth_failed:invalid'));
  it('invalid: an unknown token, with the same message as a wrong proof', () => {
    const { config } = setup();
    const unknown = attempt(config, signed({ token: 'nobody' }));
    const wrong = attempt(config, signed({ secret: Buffer.alloc(32, 1) }));
    assert.ok(!unknown.ok && !wrong.ok);
    // The detail (unknown_credential, bad_proof) is for the audit log only.
    assert.deepEqual({ ...unknown.error, detail: null }, { ...wrong.error, detail: null });
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


describe('authenticate: lockout per (credential, caller) and per address (docs/protocol.md §5 step 4)', () => {
  const wrong = (ts: number, token = 'bot'): string => signed({ secret: Buffer.alloc(32, 1), ts, token });
  const retryAfter = (result: ReturnType<typeof attempt>): number | undefined => (!result.ok && result.error.code === 'locked_out' ? result.error.retry_after : undefined);

  it('locks the pair after max_auth_failures, wherever the caller comes from', () => {
    const { config } = setup();
    for (let i = 0; i < 3; i++) assert.equal(reasonOf(attempt(config, wrong(T0 + i), T0 + i, `198.51.100.${i}`)), 'auth_failed:invalid');
    assert.equal(reasonOf(attempt(config, signed({ ts: T0 + 3 }), T0 + 3, '203.0.113.9')), 'locked_out:');
  });
  it("one caller's failures never lock the credential for another caller from another address", () => {
    const { config } = setup();
    for (let i = 0; i < 6; i++) attempt(config, wrong(T0 + i), T0 + i, '192.0.2.50', READ_KEY);
    assert.equal(reasonOf(attempt(config, signed({ ts: T0 + 6 }), T0 + 6, '192.0.2.51', RELEASE_KEY)), 'ok');
    assert.equal(reasonOf(attempt(config, signed({ ts: T0 + 6 }), T0 + 6, '192.0.2.52', READ_KEY)), 'locked_out:');
  });
  it('locks an address out for every caller and every credential', () => {
    const { config } = setup();
    for (let i = 0; i < 3; i++) attempt(config, wrong(T0 + i, `ghost${i}`), T0 + i, '192.0.2.77', READ_KEY);
    assert.equal(reasonOf(attempt(config, signed({ ts: T0 + 3 }), T0 + 3, '192.0.2.77', RELEASE_KEY)), 'locked_out:');
    assert.equal(reasonOf(attempt(config, signed({ ts: T0 + 3 }), T0 + 3, '192.0.2.78', RELEASE_KEY)), 'ok');
  });
  it('gives retry_after: the seconds until lockout_seconds after the last counted failure, decreasing', () => {
    const { config } = setup();
    for (let i = 0; i < 3; i++) attempt(config, wrong(T0 + i), T0 + i, null);
    assert.equal(retryAfter(attempt(config, signed({ ts: T0 + 2 }), T0 + 2, null)), 100);
    assert.equal(retryAfter(attempt(config, signed({ ts: T0 + 40 }), T0 + 40, null)), 62);
    assert.equal(retryAfter(attempt(config, signed({ ts: T0 + 101 }), T0 + 101, null)), 1);
    assert.equal(reasonOf(attempt(config, signed({ ts: T0 + 102 }), T0 + 102, null)), 'ok');
  });
  it('rounds retry_after up, so a client that waits that long is not locked out again', () => {
    const { config } = setup();
    for (let i = 0; i < 3; i++) attempt(config, wrong(T0), T0, null);
    const { fields, command } = fieldsFor(signed());
    const result = authenticate(config, fields, command, { address: null, caller: READ_KEY }, T0 * 1000 + 99_500);
    assert.equal(!result.ok && result.error.code === 'locked_out' ? result.error.retry_after : undefined, 1);
  });
  it('does not count locked-out attempts: the lock ends lockout_seconds after the last counted failure', () => {
    const { config } = setup();
    for (let i = 0; i < 3; i++) attempt(config, wrong(T0 + i), T0 + i, null);
    for (let i = 0; i < 5; i++) assert.equal(reasonOf(attempt(config, wrong(T0 + 50), T0 + 50, null)), 'locked_out:');
    assert.equal(reasonOf(attempt(config, signed({ ts: T0 + 101 }), T0 + 101, null)), 'locked_out:');
    assert.equal(reasonOf(attempt(config, signed({ ts: T0 + 102 }), T0 + 102, null)), 'ok');
  });
  it('counts stale and replayed proofs too', () => {
    const { config } = setup();
    const line = signed();
    attempt(config, line, T0, null);
    attempt(config, line, T0 + 1, null);
    attempt(config, signed({ ts: T0 - 500 }), T0 + 2, null);
    attempt(config, signed({ ts: T0 - 500 }), T0 + 3, null);
    assert.equal(reasonOf(attempt(config, signed({ ts: T0 + 4 }), T0 + 4, null)), 'locked_out:');
  });
  it('all unknown names of one caller share one counter, which then locks that caller out of every name', () => {
    const { config } = setup();
    for (let i = 0; i < 3; i++) assert.equal(reasonOf(attempt(config, wrong(T0 + i, `ghost${i}`), T0 + i, null)), 'auth_failed:invalid');
    assert.equal(reasonOf(attempt(config, wrong(T0 + 3, 'never-seen'), T0 + 3, null)), 'locked_out:');
    // A configured name answers the same, so the lock cannot tell configured names apart.
    assert.equal(reasonOf(attempt(config, signed({ ts: T0 + 3 }), T0 + 3, null)), 'locked_out:');
    assert.equal(reasonOf(attempt(config, signed({ ts: T0 + 3 }), T0 + 3, null, RELEASE_KEY)), 'ok');
  });
  it("keeps the private reason of an invalid in the detail: unknown_credential or bad_proof", () => {
    const { config } = setup();
    const unknown = attempt(config, signed({ token: 'nobody' }));
    const bad = attempt(config, wrong(T0));
    assert.ok(!unknown.ok && !bad.ok);
    assert.equal(unknown.error.detail, 'unknown_credential');
    assert.equal(bad.error.detail, 'bad_proof');
  });
});

describe('authenticate: the state directory does not grow for names that never failed', () => {
  const counters = (dir: string): string[] => {
    const root = join(dir, 'state', 'failures');
    return readdirSync(root).flatMap((group) => readdirSync(join(root, group)).map((member) => `${group}/${member}`));
  };
  it('creates no counter for subjects that are only checked', () => {
    const { config, dir } = setup();
    for (let i = 0; i < 20; i++) attempt(config, signed({ ts: T0 + i }), T0 + i, `192.0.2.${i}`);
    assert.deepEqual(existsSync(join(dir, 'state', 'failures')) ? counters(dir) : [], []);
  });
  it('invented names from one caller fill one counter, not one per name', () => {
    const { config, dir } = setup('max_auth_failures = 1000\nlockout_seconds = 100\nid = "host-a"');
    for (let i = 0; i < 50; i++) attempt(config, signed({ token: `invented${i}`, ts: T0 }), T0, null);
    assert.equal(counters(dir).length, 1);
    assert.match(counters(dir)[0] ?? '', /^unknown\//);
  });
  it('names no counter after a token, a caller or an address: only hashes', () => {
    const { config, dir } = setup();
    attempt(config, signed({ secret: Buffer.alloc(32, 1) }), T0, '192.0.2.99', 'identity ../../etc');
    const all = counters(dir).join(' ');
    assert.equal(counters(dir).length, 2);
    for (const raw of ['bot', '192.0.2.99', 'etc', '..']) assert.ok(!all.includes(raw), `${raw} in ${all}`);
  });
});
