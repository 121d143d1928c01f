import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeAttackHost, type AttackHost } from '../../testkit/attack-config.js';
import { assertOutcome, ran, refused } from '../../testkit/attack-rows.js';
import { serveOnce, type ServeOnceOptions } from '../../testkit/serve-once.js';
import { BUNDLE } from '../../testkit/sshd.js';
import { readSshdWarnings } from '../../src/cli/_sshd-warnings.js';
import { compiledPathFor } from '../../src/config/index.js';

/** Rewrites the host's config text and returns its path. */
function edit(host: AttackHost, change: (text: string) => string): string {
  writeFileSync(host.config, change(readFileSync(host.config, 'utf8')));
  return host.config;
}

type Setup = (host: AttackHost) => { config: string; options?: ServeOnceOptions };

/** Every row must answer service_unavailable (129) with no server detail, and run nothing. */
const ROWS: ReadonlyArray<readonly [string, string, Setup]> = [
  // 0620 and 0602: writable by group or others, yet not readable by others, so the
  // inline-secret rule (CFG-005) cannot be what refuses them.
  ['CFG-001', 'refuses to serve from a group-writable config (0620)', (h) => (chmodSync(h.config, 0o620), { config: h.config })],
  ['CFG-002', 'refuses to serve from a config writable by others (0602)', (h) => (chmodSync(h.config, 0o602), { config: h.config })],
  ['CFG-003', 'refuses a config whose directory is group-writable', (h) => {
    const sub = join(h.dir, 'etc');
    mkdirSync(sub);
    chmodSync(sub, 0o775);
    const path = join(sub, 'config.toml');
    writeFileSync(path, readFileSync(h.config), { mode: 0o600 });
    return { config: path };
  }],
  ['CFG-004', 'refuses a config reached through a symlink in a writable directory', (h) => {
    const sub = join(h.dir, 'shared');
    mkdirSync(sub);
    chmodSync(sub, 0o777);
    symlinkSync(h.config, join(sub, 'config.toml'));
    return { config: join(sub, 'config.toml') };
  }],
  ['CFG-005', 'refuses a world-readable config holding an inline secret (0644)', (h) => (chmodSync(h.config, 0o644), { config: h.config })],
  ['CFG-006', 'refuses a world-readable file: secret', (h) => {
    writeFileSync(join(h.dir, 'bot.secret'), '0123456789abcdef0123', { mode: 0o644 });
    chmodSync(join(h.dir, 'bot.secret'), 0o644);
    return { config: edit(h, (t) => t.replace(/secret = "hex:[0-9a-f]+"/, `secret = "file:${h.dir}/bot.secret"`)) };
  }],
  ['CFG-007', 'ignores PORTCULLIS_CONFIG under sshd (a client-set variable cannot pick the config)', (h) => ({
    config: '/nonexistent/not-used.toml',
    options: { env: { PORTCULLIS_CONFIG: h.config, SSH_CONNECTION: '192.0.2.1 5555 192.0.2.2 22' } },
  })],
  ['CFG-008', 'fails fast on a misspelt key instead of ignoring it (levle)', (h) => ({ config: edit(h, (t) => t.replace('level = "admin"\nexec = ["/bin/echo", "deployed', 'level = "admin"\nlevle = "read"\nexec = ["/bin/echo", "deployed')) })],
  ['CFG-009', 'refuses a __proto__ domain that zod would silently drop', (h) => ({ config: edit(h, (t) => t.replaceAll('[domains.billing', '[domains.__proto__')) })],
  ['CFG-010', 'refuses a config that redefines the help built-in', (h) => ({ config: edit(h, (t) => t.replaceAll('[domains.billing', '[domains.help')) })],
  ['CFG-011', 'refuses a relative exec[0] that PATH could hijack', (h) => ({ config: edit(h, (t) => t.replace('exec = ["/bin/echo", "status ok"]', 'exec = ["echo", "status ok"]')) })],
  ['CFG-012', 'refuses a placeholder in exec[0]', (h) => ({ config: edit(h, (t) => t.replace('exec = ["/bin/echo", "{on}"]', 'exec = ["/bin/{on}"]')) })],
  ['CFG-013', 'refuses an action env that overrides PORTCULLIS_LEVEL', (h) => ({ config: edit(h, (t) => t.replace('env = { PASSWORD = "{password}" }', 'env = { PASSWORD = "{password}", PORTCULLIS_LEVEL = "admin" }')) })],
  ['CFG-014', 'refuses an undeclared placeholder instead of passing it literally', (h) => ({ config: edit(h, (t) => t.replace('"deployed {channel}"', '"deployed {chanel}"')) })],
  ['CFG-015', 'refuses a bad --level in the operator line without revealing it', (h) => ({ config: h.config, options: { argv: ['--level', 'root'] } })],
  ['CFG-016', 'refuses an unknown serve option', (h) => ({ config: h.config, options: { argv: ['--level', 'read', '--allow-all'] } })],
  ['CFG-017', 'refuses a duplicate TOML key', (h) => ({ config: edit(h, (t) => t.replace('id = "attack-host"', 'id = "attack-host"\nid = "other"')) })],
  ['CFG-018', 'refuses a config larger than 1 MiB', (h) => ({ config: edit(h, (t) => `${t}\n#${'x'.repeat(1_100_000)}\n`) })],
  ['CFG-019', 'refuses an unwritable audit log: nothing runs without its decision record', (h) => ({ config: edit(h, (t) => t.replace(/audit_log = "[^"]+"/, 'audit_log = "/proc/portcullis-audit.jsonl"')) })],
  ['CFG-026', 'refuses a config owned by another user', (h) => (chownSync(h.config, 65534, 65534), { config: h.config })],
  ['CFG-027', 'refuses a config in a directory owned by another user', (h) => {
    const sub = join(h.dir, 'foreign');
    mkdirSync(sub, { mode: 0o755 });
    const path = join(sub, 'config.toml');
    writeFileSync(path, readFileSync(h.config), { mode: 0o600 });
    chownSync(sub, 65534, 65534);
    return { config: path };
  }],
  ['CFG-028', 'refuses a file: secret that group can write (0620)', (h) => {
    writeFileSync(join(h.dir, 'bot.secret'), '0123456789abcdef0123', { mode: 0o620 });
    chmodSync(join(h.dir, 'bot.secret'), 0o620);
    return { config: edit(h, (t) => t.replace(/secret = "hex:[0-9a-f]+"/, `secret = "file:${h.dir}/bot.secret"`)) };
  }],
  ['CFG-029', 'refuses a file: secret in a group-writable directory', (h) => {
    mkdirSync(join(h.dir, 'secrets'));
    chmodSync(join(h.dir, 'secrets'), 0o775);
    writeFileSync(join(h.dir, 'secrets', 'bot'), '0123456789abcdef0123', { mode: 0o600 });
    return { config: edit(h, (t) => t.replace(/secret = "hex:[0-9a-f]+"/, `secret = "file:${h.dir}/secrets/bot"`)) };
  }],
];

describe('attack catalog: CFG (configuration and setup), served in-process', () => {
  const needsRoot = new Set(['CFG-026', 'CFG-027']);
  for (const [id, attack, setup] of ROWS) {
    it(`${id} ${attack}`, { skip: needsRoot.has(id) && process.getuid?.() !== 0 ? 'needs root to chown' : false }, async () => {
      const host = makeAttackHost();
      const { config, options } = setup(host);
      // Under sshd: outside it the details are shown to the operator on purpose.
      const underSshd = { ...options, argv: ['--config', config, ...(options?.argv ?? ['--level', 'read'])], env: { SSH_CONNECTION: '192.0.2.1 5555 192.0.2.2 22', ...options?.env } };
      const result = await serveOnce(config, 'app status', underSshd);
      assertOutcome(result, refused('service_unavailable'));
      assert.equal(result.json?.error?.message, 'service unavailable');
      assert.equal(result.json?.error?.detail, undefined);
      assert.ok(!result.stdout.includes(host.dir) && !result.stderr.includes(host.dir), 'a server path leaked to the client');
    });
  }

  it('CFG-020 refuses a proof when the state dir is writable by others (fail closed)', async () => {
    const host = makeAttackHost();
    mkdirSync(join(host.dir, 'state'), { mode: 0o777 });
    chmodSync(join(host.dir, 'state'), 0o777);
    const line = '+token=bot +ts=1 +nonce=00112233445566778899aabbccddeeff +proof=' + '0'.repeat(64) + ' app status';
    assertOutcome(await serveOnce(host.config, line), refused('service_unavailable'));
  });

  /** check --compile (which exits 129 here: the host has an action whose program is missing). */
  function compile(host: AttackHost): string {
    spawnSync(BUNDLE, ['check', '--config', host.config, '--compile'], { stdio: 'ignore' });
    const compiled = compiledPathFor(host.config);
    assert.ok(existsSync(compiled), 'check --compile wrote nothing');
    return compiled;
  }

  /** Compiles the host's config, then rewrites the compiled form's `status ok` text. */
  function compileAndTamper(host: AttackHost): string {
    const compiled = compile(host);
    writeFileSync(compiled, readFileSync(compiled, 'utf8').replaceAll('status ok', 'tampered'));
    return compiled;
  }

  it('CFG-021 serves an edited config, not its stale compiled form', async () => {
    const host = makeAttackHost();
    compile(host);
    writeFileSync(host.config, readFileSync(host.config, 'utf8').replace('"status ok"', '"edited after compile"'));
    assertOutcome(await serveOnce(host.config, 'app status'), ran('edited after compile\n'));
  });

  it('CFG-022 ignores a compiled form owned by someone other than the config owner', { skip: process.getuid?.() === 0 ? false : 'needs root to chown' }, async () => {
    const host = makeAttackHost();
    chownSync(compileAndTamper(host), 65534, 65534);
    assertOutcome(await serveOnce(host.config, 'app status'), ran('status ok\n'));
  });

  it('CFG-023 ignores a compiled form that group or others can write', async () => {
    const host = makeAttackHost();
    chmodSync(compileAndTamper(host), 0o620);
    assertOutcome(await serveOnce(host.config, 'app status'), ran('status ok\n'));
  });

  it('CFG-024 ignores a compiled form with inline secrets once the config becomes world-readable', async () => {
    const host = makeAttackHost();
    compileAndTamper(host);
    chmodSync(host.config, 0o644);
    assertOutcome(await serveOnce(host.config, 'app status'), refused('service_unavailable'));
  });

  it('CFG-025 check warns when sshd lets clients set NODE_OPTIONS, SSH_ORIGINAL_COMMAND or user environments', () => {
    const warnings = readSshdWarnings('acceptenv LANG LC_*\nacceptenv NODE_*\nacceptenv SSH_ORIG*\npermituserenvironment yes\n');
    assert.equal(warnings.length, 3);
    assert.ok(warnings.every((w) => w.path === 'sshd'));
    assert.equal(readSshdWarnings('acceptenv LANG LC_*\npermituserenvironment no\n').length, 0);
    // One accepted pattern per dangerous family; each must warn on its own.
    for (const pattern of ['LD_*', 'OPENSSL_CONF', 'SSH_USER_AUTH', 'SSH_CLIENT', 'PORTCULLIS_*', 'PATH', '*']) {
      assert.equal(readSshdWarnings(`acceptenv ${pattern}\n`).length, 1, `AcceptEnv ${pattern} gave no warning`);
    }
  });

  it('CFG-030 ignores a compiled form readable by others when the config holds inline secrets', async () => {
    const host = makeAttackHost();
    chmodSync(compileAndTamper(host), 0o644);
    assertOutcome(await serveOnce(host.config, 'app status'), ran('status ok\n'));
  });
});
