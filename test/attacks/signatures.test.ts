import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signatureMessage, signedCommand } from '../../src/auth/index.js';
import { keyFingerprint } from '../../src/auth/ssh-key.js';
import { loadConfig } from '../../src/config/full.js';
import { runUnlock } from '../../src/cli/unlock.js';
import { assertOutcome, ran, refused, type Expected } from '../../testkit/attack-rows.js';
import { readAudit } from '../../testkit/process.js';
import { serveOnce } from '../../testkit/serve-once.js';
import { makeTestKey, sshsigBlob, type SignOptions, type TestKey } from '../../testkit/sshsig.js';
import { makeTempDir, serverTable, writeFileWithMode } from '../../testkit/tmp.js';

const SERVER_ID = 'sig-host';
const release = makeTestKey('ed25519');
const laptop = makeTestKey('ed25519');
const stranger = makeTestKey('ed25519');
const fido = makeTestKey('sk-ed25519');
const fidoUv = makeTestKey('sk-ecdsa');
const rsa = makeTestKey('rsa');
const rsaVector = (JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'test', 'vectors', 'sshsig.json'), 'utf8')) as { vectors: Array<{ expected: string; public_key: string }> }).vectors;

const now = (): number => Math.floor(Date.now() / 1000);
const nonce = (): string => randomBytes(16).toString('hex');

interface LineOptions extends SignOptions {
  readonly signer?: string;
  readonly ts?: number;
  readonly nonce?: string;
  readonly serverId?: string;
  /** Sign this command text, then send `command`. */
  readonly signedText?: string;
  readonly stdinSha256?: string;
}

/** The request line a client sends: `+signer +ts +nonce +sig` signed by `key`, then the command. */
function signedLine(key: TestKey, command: string, options: LineOptions = {}): string {
  const signer = options.signer ?? 'release';
  const ts = String(options.ts ?? now());
  const n = options.nonce ?? nonce();
  const covered = signedCommand(options.signedText ?? command, options.stdinSha256 ?? null);
  const sig = sshsigBlob(key, signatureMessage(options.serverId ?? SERVER_ID, signer, ts, n, covered), options).toString('base64');
  const stdin = options.stdinSha256 === undefined ? '' : ` +stdin_sha256=${options.stdinSha256}`;
  return `+signer=${signer} +ts=${ts} +nonce=${n} +sig=${sig}${stdin} ${command}`;
}

function signerHost(serverExtra = 'max_auth_failures = 5'): { dir: string; config: string; audit(): Array<Record<string, any>> } {
  const dir = makeTempDir('portcullis-sig-');
  const body = `
[tokens.bot]
secret = "hex:${'ab'.repeat(32)}"
level = "admin"

[signers.release]
public_key = "${release.line}"
level = "admin"
tags = ["release"]
[signers.laptop]
public_key = "${laptop.line}"
level = "ops"
[signers.fido]
public_key = "${fido.line}"
level = "admin"
[signers.fido-uv]
public_key = "${fidoUv.line}"
level = "admin"
require_user_verification = true
[signers.rsa]
public_key = "${rsa.line}"
level = "admin"

[domains.app]
description = "Application"
[domains.app.actions.status]
description = "Status"
level = "read"
exec = ["/bin/echo", "status ok"]
[domains.app.actions.deploy]
description = "Deploy"
level = "admin"
exec = ["/bin/echo", "deployed"]
[domains.app.actions.upload]
description = "Upload"
level = "admin"
exec = ["/bin/cat"]
stdin = { max_bytes = 1024 }
[domains.app.actions.ship]
description = "Tagged"
level = "read"
tags = ["release"]
exec = ["/bin/echo", "shipped"]
`;
  const config = writeFileWithMode(join(dir, 'config.toml'), serverTable(dir, `id = "${SERVER_ID}"\n${serverExtra}`) + body, 0o600);
  return { dir, config, audit: () => readAudit(join(dir, 'audit.jsonl')) };
}

const tamper = (line: string, field: string, value: string): string => line.replace(new RegExp(`\\+${field}=[^ ]+`), `+${field}=${value}`);

/** Each row builds the requests it sends in order; the last answer is checked. */
const ROWS: ReadonlyArray<readonly [string, string, () => string[], Expected]> = [
  ['SIG-001', 'runs a request signed by the configured ed25519 key at the signer level', () => [signedLine(release, 'app deploy')], ran('deployed\n')],
  ['SIG-002', 'refuses a signature made for another namespace', () => [signedLine(release, 'app deploy', { namespace: 'file' })], refused('auth_failed', 'invalid')],
  ['SIG-003', "refuses a valid signature by another configured signer's key", () => [signedLine(laptop, 'app deploy', { signer: 'release' })], refused('auth_failed', 'invalid')],
  ['SIG-004', "refuses a blob that embeds the signer's key but is signed by another key", () => [signedLine(stranger, 'app deploy', { embeddedBlob: release.blob })], refused('auth_failed', 'invalid')],
  ['SIG-005', 'refuses a blob with trailing bytes', () => [signedLine(release, 'app deploy', { trailing: Buffer.from('xyz') })], refused('auth_failed', 'invalid')],
  ['SIG-006', 'refuses an SSHSIG of version 2', () => [signedLine(release, 'app deploy', { version: 2 })], refused('auth_failed', 'invalid')],
  ['SIG-007', 'refuses an ssh-rsa (SHA-1) signature by the configured RSA key', () => [signedLine(rsa, 'app deploy', { signer: 'rsa', rsaAlgorithm: 'ssh-rsa' })], refused('auth_failed', 'invalid')],
  ['SIG-008', 'runs rsa-sha2-256 and rsa-sha2-512 signatures by the configured RSA key', () => [signedLine(rsa, 'app status', { signer: 'rsa', rsaAlgorithm: 'rsa-sha2-256' }), signedLine(rsa, 'app deploy', { signer: 'rsa' })], ran('deployed\n')],
  ['SIG-009', 'refuses a security-key signature without user presence (flags 0)', () => [signedLine(fido, 'app deploy', { signer: 'fido', flags: 0 })], refused('auth_failed', 'invalid')],
  ['SIG-010', 'runs a security-key signature with user presence (flags 1)', () => [signedLine(fido, 'app deploy', { signer: 'fido', flags: 1 })], ran('deployed\n')],
  ['SIG-011', 'refuses a signature without user verification (flags 1) for a signer that requires it', () => [signedLine(fidoUv, 'app deploy', { signer: 'fido-uv', flags: 1 })], refused('auth_failed', 'invalid')],
  ['SIG-012', 'runs a signature with user presence and verification (flags 5) for a signer that requires it', () => [signedLine(fidoUv, 'app deploy', { signer: 'fido-uv', flags: 5 })], ran('deployed\n')],
  ['SIG-013', 'refuses a signature over another command', () => [signedLine(release, 'app deploy', { signedText: 'app status' })], refused('auth_failed', 'invalid')],
  ['SIG-014', 'refuses a signature for another server id', () => [signedLine(release, 'app deploy', { serverId: 'other-host' })], refused('auth_failed', 'invalid')],
  ['SIG-015', 'refuses a signed line whose ts was edited', () => [tamper(signedLine(release, 'app deploy'), 'ts', String(now() - 1))], refused('auth_failed', 'invalid')],
  ['SIG-016', 'refuses a signed line whose nonce was edited', () => [tamper(signedLine(release, 'app deploy'), 'nonce', nonce())], refused('auth_failed', 'invalid')],
  ['SIG-017', 'refuses a replayed signature', () => { const line = signedLine(release, 'app deploy'); return [line, line]; }, refused('auth_failed', 'replayed')],
  ['SIG-018', 'refuses +sig together with +proof', () => [signedLine(release, 'app deploy').replace(' app deploy', ` +proof=${'0'.repeat(64)} app deploy`)], refused('auth_failed', 'malformed')],
  ['SIG-019', 'refuses a 3000-character +sig without verifying it', () => [tamper(signedLine(release, 'app deploy'), 'sig', 'A'.repeat(3000))], refused('auth_failed', 'malformed')],
  ['SIG-020', 'refuses a signature older than the window', () => [signedLine(release, 'app deploy', { ts: now() - 125 })], refused('auth_failed', 'stale')],
  ['SIG-021', 'refuses a signature whose signer is renamed to a signer of a higher level', () => [signedLine(laptop, 'app deploy', { signer: 'laptop' }).replace('+signer=laptop', '+signer=release')], refused('auth_failed', 'invalid')],
  ['SIG-022', 'adds the signer tags for that request: an action tagged for the signer runs', () => [signedLine(release, 'app ship')], ran('shipped\n')],
  ['SIG-031', 'raises for one request only: the next plain request is back at the key level and tags', () => [signedLine(release, 'app ship'), 'app ship'], refused('unknown_action')],
];

describe('attack catalog: SIG (SSH signature proofs), served in-process', () => {
  for (const [id, attack, build, expected] of ROWS) {
    it(`${id} ${attack}`, async () => {
      const host = signerHost();
      let last = await serveOnce(host.config, null);
      for (const request of build()) last = await serveOnce(host.config, request, { env: { SSH_CLIENT: '192.0.2.10 5555 22' } });
      assertOutcome(last, expected);
    });
  }

  it('SIG-023 records signer and signer_key in the audit log, never the signature', async () => {
    const host = signerHost();
    const line = signedLine(release, 'app deploy');
    const sig = /\+sig=([^ ]+)/.exec(line)?.[1] ?? 'missing';
    const ranOnce = await serveOnce(host.config, line);
    const replayed = await serveOnce(host.config, line);
    assert.equal(replayed.json?.error?.reason, 'replayed');
    const records = host.audit();
    for (const id of [ranOnce.json?.request_id, replayed.json?.request_id]) {
      const decision = records.find((record) => record.request_id === id && record.event === 'decision');
      assert.equal(decision?.signer, 'release');
      assert.equal(decision?.signer_key, keyFingerprint(release.blob));
    }
    assert.ok(!JSON.stringify(records).includes(sig.slice(40, 100)), 'the signature reached the audit log');
  });

  it('SIG-024 keeps a signature out of the audit log when the grammar refuses the request, quoted or not', async () => {
    const host = signerHost();
    const line = signedLine(release, 'app deploy');
    const sig = /\+sig=([^ ]+)/.exec(line)?.[1] ?? 'missing';
    for (const broken of [`${line};id`, `'+sig'=${sig} app deploy;`, `+signer=release '${sig}' app`]) {
      const answer = await serveOnce(host.config, broken);
      assert.equal(answer.json?.error?.code, 'bad_request', broken.slice(0, 40));
    }
    const log = JSON.stringify(host.audit());
    for (let at = 0; at + 40 <= sig.length; at += 20) assert.ok(!log.includes(sig.slice(at, at + 40)), `a piece of the signature at ${at} reached the audit log`);
  });

  it('SIG-025 answers an unknown signer and a wrong signature identically; the audit detail tells them apart', async () => {
    const host = signerHost();
    const argv = ['--level', 'read', '--diagnostic'];
    const unknown = await serveOnce(host.config, signedLine(stranger, 'app deploy', { signer: 'ghost' }), { argv });
    const wrong = await serveOnce(host.config, signedLine(stranger, 'app deploy'), { argv });
    assert.deepEqual(unknown.json?.error, wrong.json?.error);
    assert.equal(unknown.stderr, wrong.stderr);
    const detailOf = (id: unknown): string => host.audit().find((record) => record.request_id === id && record.event === 'decision')?.detail ?? '';
    assert.equal(detailOf(unknown.json?.request_id), 'unknown_credential');
    assert.match(detailOf(wrong.json?.request_id), /^bad_signature: the embedded key is not the signer's key/);
  });

  it('SIG-026 binds +stdin_sha256 into the signature: an edited hash is refused, the signed one runs', async () => {
    const host = signerHost();
    const sha = (text: string): string => (require('node:crypto') as typeof import('node:crypto')).createHash('sha256').update(text).digest('hex');
    const good = signedLine(release, 'app upload', { stdinSha256: sha('good') });
    assertOutcome(await serveOnce(host.config, good.replace(sha('good'), sha('evil')), { stdin: 'evil' }), refused('auth_failed', 'invalid'));
    assertOutcome(await serveOnce(host.config, good, { stdin: 'good' }), ran('good'));
  });
});

/** The environment sshd gives a caller: its address, and (ExposeAuthInfo) the key it logged in with. */
function callerEnv(dir: string, key: string, address: string): Record<string, string> {
  const file = join(dir, `auth-info-${key}`);
  writeFileSync(file, `publickey ${makeTestKey('ed25519').line.split(' ').slice(0, 2).join(' ')}\n`, { flag: 'wx' });
  return { SSH_CLIENT: `${address} 5555 22`, SSH_USER_AUTH: file };
}

describe('attack catalog: SIG (lockout per signer and caller), served in-process', () => {
  it("SIG-027 one login key's bad signatures lock that key out of the signer; another key's valid signature still runs, and unlock --signer clears it", async () => {
    const host = signerHost('max_auth_failures = 3');
    const junk = callerEnv(host.dir, 'junk', '192.0.2.10');
    for (let i = 0; i < 3; i++) assertOutcome(await serveOnce(host.config, signedLine(stranger, 'app deploy'), { env: junk }), refused('auth_failed', 'invalid'));
    const elsewhere = { ...junk, SSH_CLIENT: '198.51.100.7 4444 22' };
    assertOutcome(await serveOnce(host.config, signedLine(release, 'app deploy'), { env: elsewhere }), refused('locked_out'));
    const other = callerEnv(host.dir, 'other', '192.0.2.20');
    assertOutcome(await serveOnce(host.config, signedLine(release, 'app deploy'), { env: other }), ran('deployed\n'));
    const unlocked = runUnlock(['--config', host.config, '--signer', 'release'], { env: {}, out: () => undefined, err: (text) => assert.fail(text) });
    assert.equal(unlocked, 0);
    assertOutcome(await serveOnce(host.config, signedLine(release, 'app deploy'), { env: elsewhere }), ran('deployed\n'));
  });
});

describe('attack catalog: SIG (signer configuration)', () => {
  const configWith = (signers: string): string => {
    const dir = makeTempDir('portcullis-sig-cfg-');
    return writeFileWithMode(join(dir, 'config.toml'), `${serverTable(dir, `id = "${SERVER_ID}"`)}
[tokens.deploy]
secret = "hex:${'ab'.repeat(32)}"
level = "admin"
${signers}
[domains.app]
description = "App"
[domains.app.actions.status]
description = "Status"
level = "read"
exec = ["/bin/echo", "ok"]
`, 0o600);
  };
  const errorsOf = (path: string): string[] => {
    const loaded = loadConfig(path);
    return loaded.ok ? [] : loaded.errors.map((e) => `${e.path}: ${e.message}`);
  };

  it('SIG-028 refuses a signer named like a token: the config does not load and nothing is served', async () => {
    const config = configWith(`[signers.deploy]\npublic_key = "${release.line}"\nlevel = "admin"\n`);
    assert.match(errorsOf(config).join('\n'), /^signers\.deploy: has the name of a token/m);
    assertOutcome(await serveOnce(config, 'app status'), refused('service_unavailable'));
  });

  it('SIG-029 refuses a signer key line that is RSA 1024, carries options, or is two keys', () => {
    const rsa1024 = rsaVector.find((v) => v.expected === 'rsa-too-small')?.public_key ?? '';
    const lines = [rsa1024, `restrict ${release.line}`, `${release.line}\\n${laptop.line}`, `ssh-dss ${release.line.split(' ')[1]}`];
    for (const line of lines) {
      assert.match(errorsOf(configWith(`[signers.x]\npublic_key = "${line}"\nlevel = "admin"\n`)).join('\n'), /^signers\.x\.public_key: /m, line.slice(0, 40));
    }
  });

  it('SIG-030 refuses require_user_verification on a key that is not a security key', () => {
    const errors = errorsOf(configWith(`[signers.x]\npublic_key = "${release.line}"\nlevel = "admin"\nrequire_user_verification = true\n`));
    assert.match(errors.join('\n'), /^signers\.x\.require_user_verification: /m);
  });
});
