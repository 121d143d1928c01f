import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE } from '../../testkit/sshd.js';
import { makeTempDir, serverTable, writeFileWithMode } from '../../testkit/tmp.js';

// `portcullis check --keys FILE` through the real bundle, with keys made by the real
// ssh-keygen (docs/config.md "portcullis check --keys").

interface Finding {
  path: string;
  code: string;
  message: string;
}

interface Entry {
  line: number;
  kind: 'key' | 'principal';
  key_type: string | null;
  fingerprint: string | null;
  principal: string | null;
  served: string;
  identity: string | null;
  level: string | null;
  tags: string[] | null;
  config: string | null;
  actions: string[] | null;
}

interface KeysReport {
  ok: boolean;
  format: string;
  forced_line: boolean;
  entries: Entry[];
  errors: Finding[];
  warnings: Finding[];
}

const DOMAINS = `
[domains.app]
description = "Application"
[domains.app.actions.status]
description = "Status"
level = "read"
exec = ["/bin/echo", "status ok"]
[domains.app.actions.deploy]
description = "Deploy"
level = "ops"
tags = ["web"]
exec = ["/bin/echo", "deployed"]
[domains.app.actions.wipe]
description = "Wipe"
level = "admin"
exec = ["/bin/echo", "wiped"]
[domains.billing]
description = "Billing tenant"
[domains.billing.actions.report]
description = "Revenue"
level = "read"
tags = ["billing"]
exec = ["/bin/echo", "42"]
`;

function writeConfig(dir: string, serverExtra = '', domains = DOMAINS): string {
  return writeFileWithMode(join(dir, `config-${randomBytes(4).toString('hex')}.toml`), serverTable(dir, serverExtra) + domains, 0o600);
}

/** A fresh key pair made by ssh-keygen; returns its public line `type base64 comment`. */
function newKey(dir: string, type = 'ed25519', comment = 'k'): string {
  const file = join(dir, `key-${randomBytes(4).toString('hex')}`);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', comment, '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

function fingerprint(publicLine: string, dir: string): string {
  const file = join(dir, `fp-${randomBytes(4).toString('hex')}.pub`);
  writeFileSync(file, `${publicLine}\n`);
  return execFileSync('ssh-keygen', ['-lf', file, '-E', 'sha256'], { encoding: 'utf8' }).split(' ')[1] ?? '';
}

function writeKeys(dir: string, lines: readonly string[]): string {
  return writeFileWithMode(join(dir, `keys-${randomBytes(4).toString('hex')}`), `${lines.join('\n')}\n`, 0o644);
}

function checkKeys(keys: string, config: string, extra: readonly string[] = []): { status: number | null; report: KeysReport } {
  const result = spawnSync(BUNDLE, ['check', '--keys', keys, '--config', config, '--json', ...extra], { encoding: 'utf8', env: { PATH: '/usr/local/bin:/usr/bin:/bin' } });
  assert.equal(result.stderr, '');
  return { status: result.status, report: JSON.parse(result.stdout) as KeysReport };
}

/** `code@line` for each finding, so a test reads which line got which verdict. */
const at = (findings: readonly Finding[], keys: string): string[] => findings.map((f) => `${f.code}@${f.path.slice(keys.length + 1)}`).sort();

/** Serves one request as sshd would in form A with this operator line. */
function serve(config: string, line: string, request: string): { status: number | null; code: string | undefined } {
  const words = line.split(' ').slice(1);
  const result = spawnSync(BUNDLE, ['--config', config, ...words], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', SSH_ORIGINAL_COMMAND: request } });
  return { status: result.status, code: (JSON.parse(result.stdout) as { error?: { code?: string } }).error?.code };
}

describe('check --keys: the lines sshd reads, against the config', () => {
  it('CFG-061 a typo on the forced line (--level operator, --tag web, a repeated option) is an error naming its line, where serving answers a bare service_unavailable', () => {
    const dir = makeTempDir();
    const config = writeConfig(dir);
    const typos = ['portcullis --level operator', 'portcullis --tag web', 'portcullis --level ops --level admin', 'portcullis --config etc/x.toml'];
    const keys = writeKeys(dir, [
      `restrict,from="10.0.0.1",command="portcullis --level ops --tags web" ${newKey(dir)}`,
      ...typos.map((command) => `restrict,from="10.0.0.1",command="${command}" ${newKey(dir)}`),
    ]);
    const { status, report } = checkKeys(keys, config, []);
    assert.equal(status, 129);
    assert.equal(report.ok, false);
    assert.deepEqual(at(report.errors, keys), ['command_bad_option@2', 'command_bad_option@3', 'command_bad_option@4', 'command_bad_option@5']);
    assert.deepEqual(report.entries.map((e) => e.served), ['command', 'refused', 'refused', 'refused', 'refused']);
    // What each of those keys gets at serve time: the answer check explains.
    for (const command of typos) assert.deepEqual(serve(config, command, 'app status'), { status: 129, code: 'service_unavailable' });
    // The text form names the line too.
    const text = spawnSync(BUNDLE, ['check', '--keys', keys, '--config', config], { encoding: 'utf8' });
    assert.equal(text.status, 129);
    assert.match(text.stdout, new RegExp(`^error: ${keys}:2: command_bad_option: `, 'm'));
  });

  it('CFG-062 a key without restrict (or no-pty and every no-forwarding) is an error; one without from= a warning', () => {
    const dir = makeTempDir();
    const config = writeConfig(dir, 'forced_line = true');
    const command = 'command="portcullis --level read"';
    const keys = writeKeys(dir, [
      `${command} ${newKey(dir)}`,
      `restrict,pty,from="10.0.0.1",${command} ${newKey(dir)}`,
      `no-agent-forwarding,no-pty,from="10.0.0.1",${command} ${newKey(dir)}`,
      `no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding,from="10.0.0.1",${command} ${newKey(dir)}`,
      `restrict,${command} ${newKey(dir)}`,
      `restrict,from="10.0.0.1",${command} ${newKey(dir)}`,
    ]);
    const { status, report } = checkKeys(keys, config);
    assert.equal(status, 129);
    assert.deepEqual(at(report.errors, keys), ['key_not_restricted@1', 'key_not_restricted@2', 'key_not_restricted@3']);
    assert.deepEqual(at(report.warnings, keys), ['key_no_from@1', 'key_no_from@5', 'key_user_rc@4']);
    const clean = checkKeys(writeKeys(dir, [`restrict,from="10.0.0.1",${command} ${newKey(dir)}`]), config);
    assert.equal(clean.status, 0);
    assert.deepEqual(clean.report.warnings, []);
  });

  it('CFG-063 a command= that is not portcullis, or that a login shell would read differently, is an error: that key is not gated', () => {
    const dir = makeTempDir();
    const config = writeConfig(dir, 'forced_line = true');
    const commands = ['/bin/sh', '/usr/bin/env portcullis --level ops', 'portcullis --level ops; id', 'portcullis --identity $USER', 'portcullis --identity "a b"', '/opt/portcullis-old/bin/run --level ops'];
    const keys = writeKeys(dir, commands.map((command) => `restrict,from="10.0.0.1",command="${command.replace(/"/g, '\\"')}" ${newKey(dir)}`));
    const { status, report } = checkKeys(keys, config);
    assert.equal(status, 129);
    assert.deepEqual(at(report.errors, keys), ['command_not_portcullis@1', 'command_not_portcullis@2', 'command_not_portcullis@6', 'command_shell_syntax@3', 'command_shell_syntax@4', 'command_shell_syntax@5']);
    assert.ok(report.entries.every((entry) => entry.served === 'not-gated' && entry.actions === null));
  });

  it('CFG-064 with forced_line = true every key without command= is an error; without the opt-in it and a command= with options are warnings', () => {
    const dir = makeTempDir();
    const lines = [`restrict,from="10.0.0.1" ${newKey(dir)}`, `restrict,from="10.0.0.1",command="/usr/local/bin/portcullis --level ops --tags web" ${newKey(dir)}`, `restrict,from="10.0.0.1",command="portcullis" ${newKey(dir)}`];
    const keys = writeKeys(dir, lines);
    const trusting = checkKeys(keys, writeConfig(dir, 'forced_line = true'));
    assert.equal(trusting.status, 129);
    assert.equal(trusting.report.forced_line, true);
    assert.deepEqual(at(trusting.report.errors, keys), ['key_no_command@1']);
    assert.deepEqual(trusting.report.warnings, []);
    const lax = checkKeys(keys, writeConfig(dir));
    assert.equal(lax.status, 0);
    assert.deepEqual(at(lax.report.warnings, keys), ['command_untrusted@2', 'key_no_command@1']);
    // Without command=, the key is served as form B: level read, no tags.
    assert.deepEqual([lax.report.entries[0]?.served, lax.report.entries[0]?.level, lax.report.entries[0]?.actions], ['login-shell', 'read', ['app status']]);
  });

  it('CFG-065 a key line whose options or key sshd cannot parse is an error naming the line, never skipped', () => {
    const dir = makeTempDir();
    const config = writeConfig(dir, 'forced_line = true');
    const ok = `restrict,from="10.0.0.1",command="portcullis"`;
    const pub = newKey(dir);
    const keys = writeKeys(dir, [
      '# operators: keep one key per line',
      `${ok} ${newKey(dir)}`,
      `restrict,from="10.0.0.1",command="portcullis --level ops ${newKey(dir)}`,
      `restrict,commnd="portcullis" ${newKey(dir)}`,
      `restrict;from="10.0.0.1",command="portcullis" ${newKey(dir)}`,
      `${ok} ${pub.replace(/^ssh-ed25519/, 'ssh-rsa')}`,
      `${ok},command="portcullis --level admin" ${newKey(dir)}`,
      '',
    ]);
    const { status, report } = checkKeys(keys, config);
    assert.equal(status, 129);
    assert.deepEqual(at(report.errors, keys), ['key_line_invalid@3', 'key_line_invalid@4', 'key_line_invalid@5', 'key_line_invalid@6', 'key_line_invalid@7']);
    assert.deepEqual(report.entries.map((e) => e.line), [2]);
  });

  it('CFG-066 reads an AuthorizedPrincipalsFile: options then a principal per line, cut where sshd cuts it', () => {
    const dir = makeTempDir();
    const config = writeConfig(dir, 'forced_line = true');
    const keys = writeKeys(dir, [
      '# principals of the svc account',
      'restrict,from="10.0.0.0/8",command="portcullis --level ops --identity deploy --tags web" deploy   # the pipeline',
      'restrict,from="10.0.0.0/8",command="portcullis --level ops"\tops-team',
      'auditor',
      'restrict,from="10.0.0.0/8",command="portcullis --tags billing" billing-bot',
    ]);
    const { status, report } = checkKeys(keys, config);
    assert.equal(status, 129);
    assert.equal(report.format, 'principals');
    assert.deepEqual(report.entries.map((e) => e.principal), ['deploy', 'ops"\tops-team', 'auditor', 'billing-bot']);
    assert.deepEqual(at(report.errors, keys), ['key_no_command@4', 'key_not_restricted@4', 'principal_suspect@3']);
    assert.deepEqual(report.entries[0]?.actions, ['app status', 'app deploy']);
    assert.deepEqual(report.entries[3]?.actions, ['app status', 'billing report']);
  });

  it('CFG-067 the table shows per key its identity, level, tags and exactly the actions it can see, from the config its line names', () => {
    const dir = makeTempDir();
    const config = writeConfig(dir, 'forced_line = true');
    const other = writeConfig(dir, 'forced_line = true', DOMAINS.replace('[domains.billing]', '[domains.other]\ndescription = "x"\n[domains.other.actions.ping]\ndescription = "p"\nlevel = "read"\nexec = ["/bin/true"]\n[domains.billing]'));
    const lines = [
      'portcullis',
      'portcullis --level ops --identity ci --tags web',
      'portcullis --tags billing --identity billing-reader',
      'portcullis --level admin --identity alice --tags web,billing',
      `portcullis --config ${other} --identity elsewhere`,
    ];
    const keys = writeKeys(dir, lines.map((command) => `restrict,from="10.0.0.1",command="${command}" ${newKey(dir)}`));
    const { status, report } = checkKeys(keys, config, ['--account', 'svc']);
    assert.equal(status, 0, JSON.stringify(report.errors));
    assert.deepEqual(
      report.entries.map((e) => [e.identity, e.level, e.tags, e.actions]),
      [
        ['svc', 'read', [], ['app status']],
        ['ci', 'ops', ['web'], ['app status', 'app deploy']],
        ['billing-reader', 'read', ['billing'], ['app status', 'billing report']],
        ['alice', 'admin', ['web', 'billing'], ['app status', 'app deploy', 'app wipe', 'billing report']],
        ['elsewhere', 'read', [], ['app status', 'other ping']],
      ],
    );
    assert.equal(report.entries[4]?.config, other);
    // Each row's actions are what that key's own line serves: `list` through the bundle.
    for (const [index, command] of lines.entries()) {
      const words = command.split(' ').slice(1);
      const answer = spawnSync(BUNDLE, words.includes('--config') ? words : ['--config', config, ...words], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', SSH_ORIGINAL_COMMAND: 'list' } });
      const listed = (JSON.parse(answer.stdout) as { actions: string[] }).actions.map((line) => line.split(' ').slice(0, 2).join(' '));
      assert.deepEqual(listed, report.entries[index]?.actions, command);
    }
    const text = spawnSync(BUNDLE, ['check', '--keys', keys, '--config', config], { encoding: 'utf8' }).stdout;
    assert.match(text, /\bci\s+ops\s+web\s+app status, app deploy\n/);
  });

  it('CFG-068 knows certificates, FIDO keys and CA lines, and warns on a key listed twice (sshd uses the first line that matches)', () => {
    const dir = makeTempDir();
    const config = writeConfig(dir, 'forced_line = true');
    const ca = join(dir, 'ca');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ca', '-f', ca]);
    const user = join(dir, 'user');
    execFileSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-C', 'user', '-f', user]);
    execFileSync('ssh-keygen', ['-q', '-s', ca, '-I', 'deploy', '-n', 'deploy', `${user}.pub`]);
    const cert = readFileSync(`${user}-cert.pub`, 'utf8').trim();
    // No FIDO token here: a blob that carries the sk type, as ssh-keygen -t ed25519-sk would write.
    const name = Buffer.from('sk-ssh-ed25519@openssh.com');
    const sk = `sk-ssh-ed25519@openssh.com ${Buffer.concat([Buffer.from([0, 0, 0, name.length]), name, randomBytes(40)]).toString('base64')} yubikey`;
    const opts = 'restrict,from="10.0.0.1",command="portcullis --level ops"';
    const keys = writeKeys(dir, [`${opts} ${cert}`, `${opts} ${sk}`, `cert-authority,principals="deploy",${opts} ${readFileSync(`${ca}.pub`, 'utf8').trim()}`, `${opts} ${cert}`]);
    const { status, report } = checkKeys(keys, config);
    assert.equal(status, 0, JSON.stringify(report.errors));
    assert.deepEqual(report.entries.map((e) => e.key_type), ['ecdsa-sha2-nistp256-cert-v01@openssh.com', 'sk-ssh-ed25519@openssh.com', 'ssh-ed25519', 'ecdsa-sha2-nistp256-cert-v01@openssh.com']);
    assert.equal(report.entries[0]?.fingerprint, fingerprint(cert, dir));
    assert.deepEqual(at(report.warnings, keys), ['key_duplicate@4']);
  });
});

describe('check --keys: files it cannot use', () => {
  it('an unreadable keys file or a config that does not load fails with its code, never a stack trace', () => {
    const dir = makeTempDir();
    const missing = spawnSync(BUNDLE, ['check', '--keys', join(dir, 'nope'), '--config', writeConfig(dir), '--json'], { encoding: 'utf8' });
    assert.equal(missing.status, 129);
    assert.deepEqual((JSON.parse(missing.stdout) as KeysReport).errors.map((e) => e.code), ['keys_unreadable']);
    const keys = writeKeys(dir, [`restrict,from="10.0.0.1",command="portcullis" ${newKey(dir)}`]);
    const badConfig = writeFileWithMode(join(dir, 'bad.toml'), `${serverTable(dir)}[domains.app]\nlevle = 1\n`, 0o600);
    const broken = checkKeys(keys, badConfig);
    assert.equal(broken.status, 129);
    assert.ok(broken.report.errors.length > 0 && broken.report.errors.every((e) => e.code === 'config_invalid'));
    assert.equal(broken.report.entries[0]?.actions, null);
  });
});
