import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBundle } from '../testkit/bundle.js';
import { BUNDLE } from '../testkit/sshd.js';
import { makeTempDir, serverTable, writeFileWithMode } from '../testkit/tmp.js';

const SECRET = 'proof-test-secret-0123456789';

function proofConfig(): string {
  const dir = makeTempDir();
  const secretFile = writeFileWithMode(join(dir, 'bot.secret'), `${SECRET}\n`, 0o600);
  return writeFileWithMode(
    join(dir, 'config.toml'),
    `${serverTable(dir, 'id = "race-host"\nmax_auth_failures = 100')}
[tokens.bot]
secret = "file:${secretFile}"
level = "admin"
[domains.app]
description = "App"
[domains.app.actions.deploy]
description = "Deploy"
level = "admin"
exec = ["/bin/echo", "deployed"]
`,
    0o600,
  );
}

function sign(command: string): string {
  return execFileSync(BUNDLE, ['sign', '--token', 'bot', '--secret-env', 'BOT_SECRET', '--server-id', 'race-host', command], {
    env: { BOT_SECRET: SECRET, PATH: '/usr/bin:/bin' },
    encoding: 'utf8',
  }).trim();
}

describe('token proofs across processes', () => {
  it('of 8 processes racing the same proof, exactly one runs; the others are refused as replayed', async () => {
    const config = proofConfig();
    const line = sign('app deploy');
    const results = await Promise.all(Array.from({ length: 8 }, () => runBundle(['--level', 'read'], { PORTCULLIS_CONFIG: config, SSH_ORIGINAL_COMMAND: line })));
    assert.equal(results.filter((r) => r.status === 0 && r.json?.stdout === 'deployed\n').length, 1);
    const refused = results.filter((r) => r.status !== 0);
    assert.equal(refused.length, 7);
    for (const r of refused) assert.equal(r.json?.error?.reason, 'replayed');
  });

  it('sign prints a line the server accepts, and the raise lasts for that request only', async () => {
    const config = proofConfig();
    const raised = await runBundle(['--level', 'read'], { PORTCULLIS_CONFIG: config, SSH_ORIGINAL_COMMAND: sign('whoami') });
    assert.equal(raised.json?.level, 'admin');
    assert.equal(raised.json?.token, 'bot');
    const plain = await runBundle(['--level', 'read'], { PORTCULLIS_CONFIG: config, SSH_ORIGINAL_COMMAND: 'whoami' });
    assert.equal(plain.json?.level, 'read');
    assert.equal(plain.json?.token, null);
  });

  it('sign refuses a request that is not valid grammar, and one that already has proof fields', () => {
    for (const request of ['app deploy; id', '+token=x app deploy']) {
      assert.throws(() => execFileSync(BUNDLE, ['sign', '--token', 'bot', '--secret-env', 'S', request], { env: { S: SECRET }, stdio: 'pipe' }));
    }
  });

  it('the README bash+openssl recipe produces a proof the server accepts', async () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const recipe = /<!-- recipe:openssl-sign -->\n```bash\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(recipe, 'the recipe block is missing from the README');
    // Stand-in for ssh: print the request line the recipe would send.
    const script = `ssh() { printf '%s' "\${@: -1}"; }\n${recipe}`;
    const line = execFileSync('bash', ['-c', script], {
      env: { PATH: '/usr/bin:/bin', SECRET, ID: 'race-host', TOKEN: 'bot', CMD: "app deploy" },
      encoding: 'utf8',
    });
    assert.match(line, /^\+token=bot \+ts=\d+ \+nonce=[0-9a-f]{32} \+proof=[0-9a-f]{64} app deploy$/);
    const result = await runBundle(['--level', 'read'], { PORTCULLIS_CONFIG: proofConfig(), SSH_ORIGINAL_COMMAND: line });
    assert.equal(result.json?.ok, true);
    assert.equal(result.json?.stdout, 'deployed\n');
  });
});

/** A host with one signer whose private key is `dir/approver` (made by ssh-keygen). */
function signerHost(): { dir: string; config: string; key: string } {
  const dir = makeTempDir();
  const key = join(dir, 'approver');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'approver', '-f', key]);
  const config = writeFileWithMode(
    join(dir, 'config.toml'),
    `${serverTable(dir, 'id = "race-host"')}
[signers.approver]
public_key = "${readFileSync(`${key}.pub`, 'utf8').trim()}"
level = "admin"
[domains.app]
description = "App"
[domains.app.actions.deploy]
description = "Deploy"
level = "admin"
exec = ["/bin/echo", "deployed"]
[domains.app.actions.upload]
description = "Upload"
level = "admin"
exec = ["/bin/cat"]
stdin = { max_bytes = 1024 }
`,
    0o600,
  );
  return { dir, config, key };
}

describe('signature proofs from the client side', () => {
  it('the README OpenSSH-only recipe produces a signature the server accepts', async () => {
    const host = signerHost();
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const recipe = /<!-- recipe:ssh-keygen-sign -->\n```bash\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(recipe, 'the recipe block is missing from the README');
    const script = `ssh() { printf '%s' "\${@: -1}"; }\n${recipe}`;
    const line = execFileSync('bash', ['-c', script], {
      env: { PATH: '/usr/bin:/bin', KEY: host.key, ID: 'race-host', SIGNER: 'approver', CMD: 'app deploy' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    assert.match(line, /^\+signer=approver \+ts=\d+ \+nonce=[0-9a-f]{32} \+sig=U1NIU0lH[A-Za-z0-9+/=]+ app deploy$/);
    const result = await runBundle(['--level', 'read'], { PORTCULLIS_CONFIG: host.config, SSH_ORIGINAL_COMMAND: line });
    assert.equal(result.json?.ok, true, result.stdout);
    assert.equal(result.json?.stdout, 'deployed\n');
  });

  it('sign --signer with a private key file prints a line the server accepts, and warns on an empty server id', async () => {
    const host = signerHost();
    const signed = spawnSync(BUNDLE, ['sign', '--signer', 'approver', '--ssh-key', host.key, 'app deploy'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    assert.equal(signed.status, 0, signed.stderr);
    assert.match(signed.stderr, /warning: server_id_empty/);
    const withId = execFileSync(BUNDLE, ['sign', '--signer', 'approver', '--ssh-key', host.key, '--server-id', 'race-host', 'app deploy'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'ignore'] });
    const result = await runBundle(['--level', 'read'], { PORTCULLIS_CONFIG: host.config, SSH_ORIGINAL_COMMAND: withId.trim() });
    assert.equal(result.json?.stdout, 'deployed\n', result.stdout);
  });

  it('sign --signer --stdin FILE binds the file: the signed line runs with it and is refused with other input', async () => {
    const host = signerHost();
    const file = writeFileWithMode(join(host.dir, 'payload'), 'good', 0o600);
    const line = execFileSync(BUNDLE, ['sign', '--signer', 'approver', '--ssh-key', host.key, '--server-id', 'race-host', '--stdin', file, 'app upload'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    assert.match(line, / \+stdin_sha256=[0-9a-f]{64} app upload$/);
    const evil = await runBundle(['--level', 'read'], { PORTCULLIS_CONFIG: host.config, SSH_ORIGINAL_COMMAND: line }, 'evil');
    assert.equal(evil.json?.error?.reason, 'stdin_mismatch');
    const edited = line.replace(/\+stdin_sha256=[0-9a-f]{64}/, `+stdin_sha256=${'0'.repeat(64)}`);
    const forged = await runBundle(['--level', 'read'], { PORTCULLIS_CONFIG: host.config, SSH_ORIGINAL_COMMAND: edited }, 'evil');
    assert.equal(forged.json?.error?.reason, 'invalid');
  });

  it('sign warns when the secret file is readable by others, and refuses --signer without --ssh-key', () => {
    const dir = makeTempDir();
    const secret = writeFileWithMode(join(dir, 'bot.secret'), `${SECRET}\n`, 0o644);
    const warned = spawnSync(BUNDLE, ['sign', '--token', 'bot', '--secret-file', secret, '--server-id', 'x', 'app deploy'], { encoding: 'utf8' });
    assert.equal(warned.status, 0);
    assert.match(warned.stderr, /warning: key_readable: .* readable by group or others/);
    const usage = spawnSync(BUNDLE, ['sign', '--signer', 'approver', 'app deploy'], { encoding: 'utf8' });
    assert.equal(usage.status, 2);
  });

  it('check prints each signer with the fingerprint ssh-keygen -lf prints', () => {
    const host = signerHost();
    const printed = execFileSync('ssh-keygen', ['-lf', `${host.key}.pub`, '-E', 'sha256'], { encoding: 'utf8' }).split(' ')[1] ?? '';
    const check = spawnSync(BUNDLE, ['check', '--config', host.config, '--sshd-config', '/dev/null'], { encoding: 'utf8' });
    assert.match(check.stdout, new RegExp(`^ {4}approver: ${printed.replace(/[+/]/g, '\\$&')} ssh-ed25519 \\(level admin\\)$`, 'm'), check.stdout);
  });
});
