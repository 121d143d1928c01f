import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signedRequestLine } from '../../src/cli/sign.js';
import { compiledPathFor } from '../../src/config/index.js';
import { ATTACK_SECRET, makeAttackHost, type AttackHost } from '../../testkit/attack-config.js';
import { assertOutcome, ran, refused } from '../../testkit/attack-rows.js';
import { serveOnce } from '../../testkit/serve-once.js';
import { BUNDLE, runProcess, type SshResult } from '../../testkit/sshd.js';

// The suite runs as root in CI; "another account" is nobody (65534), as in CFG-022.
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
const needsRoot = { skip: asRoot ? false : 'needs root to chown' } as const;

/** Points the host's audit_log (and optionally state_dir) elsewhere; returns the config path. */
function relocate(host: AttackHost, files: { auditLog?: string; stateDir?: string }): string {
  let text = readFileSync(host.config, 'utf8');
  if (files.auditLog !== undefined) text = text.replace(/audit_log = "[^"]+"/, `audit_log = "${files.auditLog}"`);
  if (files.stateDir !== undefined) text = text.replace(/state_dir = "[^"]+"/, `state_dir = "${files.stateDir}"`);
  writeFileSync(host.config, text);
  return host.config;
}

function subdir(host: AttackHost, name: string, mode: number, uid?: number): string {
  const dir = join(host.dir, name);
  mkdirSync(dir);
  chmodSync(dir, mode);
  if (uid !== undefined) chownSync(dir, uid, uid);
  return dir;
}

const proofLine = (command: string): string =>
  signedRequestLine(ATTACK_SECRET, 'attack-host', 'bot', String(Math.floor(Date.now() / 1000)), randomBytes(16).toString('hex'), command);

/** `portcullis check --json` through the real bundle. */
function check(config: string): { ok: boolean; errors: Array<{ path: string; message: string }>; warnings: Array<{ path: string; message: string }>; audit_log: { uid: number; gid: number; mode: string } | null } {
  const result = spawnSync(BUNDLE, ['check', '--config', config, '--json'], { encoding: 'utf8' });
  return JSON.parse(result.stdout);
}

/** check's errors about one config key (the attack host has one action whose program is missing). */
const errorsAt = (config: string, path: string): string[] => check(config).errors.filter((e) => e.path === path).map((e) => e.message);

describe('attack catalog: the audit log is opened and checked by docs/protocol.md §8', () => {
  it('OUT-019 refuses a symlinked audit log and writes nothing through it', async () => {
    const host = makeAttackHost();
    const target = join(host.dir, 'elsewhere.jsonl');
    writeFileSync(target, '', { mode: 0o600 });
    symlinkSync(target, join(host.dir, 'audit.jsonl'));
    assertOutcome(await serveOnce(host.config, 'app status'), refused('service_unavailable'));
    assert.equal(readFileSync(target, 'utf8'), '', 'a record went through the symlink');
    assert.ok(errorsAt(host.config, 'server.audit_log').length > 0, 'check says nothing');
  });

  it('OUT-020 refuses /dev/null or a FIFO as the audit log, without blocking on the FIFO', async () => {
    const host = makeAttackHost();
    assertOutcome(await serveOnce(relocate(host, { auditLog: '/dev/null' }), 'app status'), refused('service_unavailable'));
    assert.ok(errorsAt(host.config, 'server.audit_log').length > 0, 'check passes /dev/null');
    const fifo = join(host.dir, 'audit.fifo');
    execFileSync('mkfifo', ['-m', '0600', fifo]);
    // Through the bundle: a blocking open would hang the test process itself.
    const result = await runProcess(BUNDLE, ['--config', relocate(host, { auditLog: fifo })], undefined, 20000, { SSH_ORIGINAL_COMMAND: 'app status' });
    assertOutcome(result, refused('service_unavailable'));
  });

  it('OUT-021 refuses an audit log that others can write (0666), so nobody else can empty it', async () => {
    const host = makeAttackHost();
    const log = join(host.dir, 'audit.jsonl');
    writeFileSync(log, '', { mode: 0o666 });
    chmodSync(log, 0o666);
    assertOutcome(await serveOnce(host.config, 'app status'), refused('service_unavailable'));
    assert.equal(readFileSync(log, 'utf8'), '', 'a record was written to a log others can rewrite');
    assert.ok(errorsAt(host.config, 'server.audit_log').length > 0, 'check passes a 0666 log');
  });

  it('OUT-022 refuses an audit log owned by another account than root, the user or its directory owner', needsRoot, async () => {
    const host = makeAttackHost();
    const log = join(host.dir, 'audit.jsonl');
    writeFileSync(log, '', { mode: 0o600 });
    chownSync(log, NOBODY, NOBODY);
    assertOutcome(await serveOnce(host.config, 'app status'), refused('service_unavailable'));
    assert.equal(readFileSync(log, 'utf8'), '');
    assert.ok(errorsAt(host.config, 'server.audit_log').length > 0, 'check passes a foreign log');
  });

  it('CFG-045 refuses an audit log whose directory, or a directory above it, others can write', async () => {
    const host = makeAttackHost();
    const open = subdir(host, 'open', 0o777);
    assertOutcome(await serveOnce(relocate(host, { auditLog: join(open, 'audit.jsonl') }), 'app status'), refused('service_unavailable'));
    assert.ok(errorsAt(host.config, 'server.audit_log').length > 0, 'check passes a world-writable audit dir');
    mkdirSync(join(open, 'logs'), { mode: 0o700 });
    assertOutcome(await serveOnce(relocate(host, { auditLog: join(open, 'logs', 'audit.jsonl') }), 'app status'), refused('service_unavailable'));
    assert.ok(!existsSync(join(open, 'logs', 'audit.jsonl')) || readFileSync(join(open, 'logs', 'audit.jsonl'), 'utf8') === '');
  });

  it('CFG-046 refuses a proof when state_dir lies under a directory others can write (fail closed)', async () => {
    const host = makeAttackHost();
    const open = subdir(host, 'open', 0o777);
    const config = relocate(host, { stateDir: join(open, 'state') });
    assertOutcome(await serveOnce(config, proofLine('app deploy')), refused('service_unavailable'));
    assertOutcome(await serveOnce(config, 'app status'), ran('status ok\n'));
    assert.ok(check(config).errors.some((e) => e.path === 'server.state_dir'), 'check passes the state dir');
  });

  it('CFG-047 a root run creates the audit log and state files with their directory owner and group', needsRoot, async () => {
    const host = makeAttackHost();
    const logs = subdir(host, 'logs', 0o750, NOBODY);
    const state = subdir(host, 'state', 0o700, NOBODY);
    const config = relocate(host, { auditLog: join(logs, 'audit.jsonl') });
    assertOutcome(await serveOnce(config, proofLine('app deploy')), ran('deployed stable\n'));
    const log = statSync(join(logs, 'audit.jsonl'));
    assert.deepEqual([log.uid, log.gid], [NOBODY, NOBODY], 'the audit log belongs to root');
    for (const sub of ['replay', 'failures']) {
      const dir = join(state, sub);
      if (!existsSync(dir)) continue;
      assert.deepEqual([statSync(dir).uid, statSync(dir).gid], [NOBODY, NOBODY], `${sub} belongs to root`);
    }
    const replay = join(state, 'replay');
    for (const entry of execFileSync('ls', [replay], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
      assert.equal(statSync(join(replay, entry)).uid, NOBODY, 'a replay entry belongs to root');
    }
    // The next run accepts the log it made, and check shows who owns it.
    assertOutcome(await serveOnce(config, 'app status'), ran('status ok\n'));
    const report = check(config);
    assert.deepEqual(report.audit_log, { uid: NOBODY, gid: NOBODY, mode: '0640' });
    assert.ok(!report.warnings.some((w) => w.path === 'server.audit_log'), 'warned although the owners match');
  });

  it('CFG-048 check warns when the audit log owner differs from its directory owner', needsRoot, async () => {
    const host = makeAttackHost();
    const logs = subdir(host, 'logs', 0o750, NOBODY);
    writeFileSync(join(logs, 'audit.jsonl'), '', { mode: 0o640 });
    const report = check(relocate(host, { auditLog: join(logs, 'audit.jsonl') }));
    assert.deepEqual(report.audit_log, { uid: 0, gid: 0, mode: '0640' });
    assert.equal(report.warnings.filter((w) => w.path === 'server.audit_log').length, 1);
    assert.deepEqual(report.errors.filter((e) => e.path === 'server.audit_log'), []);
  });
});

describe('attack catalog: SSH_USER_AUTH is read bounded (docs/protocol.md §5, §8 key)', () => {
  /** Runs the bundle under a 1.5 GB address-space limit, so an unbounded read fails fast instead of filling the host. */
  function serveWithAuthInfo(host: AttackHost, authInfo: string): Promise<SshResult> {
    const env = { PATH: '/usr/local/bin:/usr/bin:/bin', SSH_ORIGINAL_COMMAND: 'app status', SSH_USER_AUTH: authInfo };
    const args = ['--config', host.config];
    return existsSync('/usr/bin/prlimit')
      ? runProcess('/usr/bin/prlimit', ['--as=1500000000', BUNDLE, ...args], undefined, 30000, env)
      : runProcess(BUNDLE, args, undefined, 30000, env);
  }

  it('AUTH-033 treats SSH_USER_AUTH=/dev/zero as no key: bounded read, no hang', async () => {
    const host = makeAttackHost();
    assertOutcome(await serveWithAuthInfo(host, '/dev/zero'), ran('status ok\n'));
    assert.equal(host.audit()[0]?.key, null);
  });

  it('AUTH-034 treats a FIFO as SSH_USER_AUTH as no key without waiting for a writer', async () => {
    const host = makeAttackHost();
    const fifo = join(host.dir, 'auth.fifo');
    execFileSync('mkfifo', ['-m', '0600', fifo]);
    assertOutcome(await serveWithAuthInfo(host, fifo), ran('status ok\n'));
    assert.equal(host.audit()[0]?.key, null);
  });

  it('AUTH-035 reads the key only from a regular file of root or the user, not through a symlink', needsRoot, async () => {
    const host = makeAttackHost();
    const blob = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, 7)]);
    const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
    const info = join(host.dir, 'auth-info');
    writeFileSync(info, `publickey ssh-ed25519 ${blob.toString('base64')}\n`, { mode: 0o600 });
    symlinkSync(info, join(host.dir, 'auth-link'));
    const keyWith = async (path: string): Promise<unknown> => {
      assertOutcome(await serveOnce(host.config, 'app status', { env: { SSH_USER_AUTH: path } }), ran('status ok\n'));
      return host.audit().at(-2)?.key;
    };
    assert.equal(await keyWith(info), fingerprint, 'the control: a proper file gives the fingerprint');
    assert.equal(await keyWith(join(host.dir, 'auth-link')), null, 'read through a symlink');
    chownSync(info, NOBODY, NOBODY);
    assert.equal(await keyWith(info), null, 'read a file another account wrote');
  });
});

describe('attack catalog: a compiled form is never wider than the config (docs/config.md "File permissions")', () => {
  /** check --compile, then rewrites the compiled form's `status ok`, keeping its mode. */
  function compileAndTamper(host: AttackHost): string {
    spawnSync(BUNDLE, ['check', '--config', host.config, '--compile'], { stdio: 'ignore' });
    const compiled = compiledPathFor(host.config);
    writeFileSync(compiled, readFileSync(compiled, 'utf8').replaceAll('status ok', 'tampered'));
    return compiled;
  }

  it('CFG-049 stops serving a compiled form once the config is chmod 600 and the form is still 0640', async () => {
    const host = makeAttackHost();
    chmodSync(host.config, 0o640);
    const compiled = compileAndTamper(host);
    assert.equal(statSync(compiled).mode & 0o777, 0o640);
    assertOutcome(await serveOnce(host.config, 'app status'), ran('tampered\n'));
    chmodSync(host.config, 0o600);
    assertOutcome(await serveOnce(host.config, 'app status'), ran('status ok\n'));
  });

  it('CFG-050 check warns that a compiled form wider than the config is not used', () => {
    const host = makeAttackHost();
    chmodSync(host.config, 0o640);
    compileAndTamper(host);
    const quiet = check(host.config).warnings.filter((w) => w.path === '(compiled)');
    assert.deepEqual(quiet, [], 'warned about a compiled form that is in use');
    chmodSync(host.config, 0o600);
    const warned = check(host.config).warnings.filter((w) => w.path === '(compiled)');
    assert.equal(warned.length, 1);
    assert.match(warned[0]?.message ?? '', /not used/);
  });

  it('CFG-051 ignores a compiled form whose group differs from the config group and can read it', needsRoot, async () => {
    const host = makeAttackHost();
    chmodSync(host.config, 0o640);
    const compiled = compileAndTamper(host);
    chownSync(compiled, 0, NOBODY);
    assertOutcome(await serveOnce(host.config, 'app status'), ran('status ok\n'));
  });

});
