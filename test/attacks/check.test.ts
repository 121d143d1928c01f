import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { BUNDLE, SSHD } from '../../testkit/sshd.js';
import { reachableBundle } from '../../testkit/reachable-bundle.js';
import { makeTempDir, serverTable, writeFileWithMode } from '../../testkit/tmp.js';
import { readSshdWarnings } from '../../src/cli/_sshd-warnings.js';
import { writableDirectories } from '../../src/cli/_writable-dirs.js';

interface Warning {
  path: string;
  code?: string;
  message: string;
}

interface CheckReport {
  ok: boolean;
  warnings: Warning[];
  sshd: { account: string; sshd_config: string | null; read: boolean };
}

/** A config that passes check, with `extra` TOML appended. */
function writeConfig(dir: string, serverExtra: string, extra: string): string {
  const body = `
[domains.app]
description = "Application"
[domains.app.actions.status]
description = "Status"
level = "read"
exec = ["/bin/echo", "status ok"]
${extra}`;
  return writeFileWithMode(join(dir, `config-${randomBytes(4).toString('hex')}.toml`), serverTable(dir, serverExtra) + body, 0o600);
}

/** A throwaway sshd_config with its own host key; `sshd -T` needs one to read the file. */
function writeSshdConfig(dir: string, text: string): string {
  const hostKey = join(dir, 'host_ed25519');
  try {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey], { stdio: 'ignore' });
  } catch {
    // Already made for an earlier sshd_config in this directory.
  }
  // sshd -T refuses to run without its privilege separation directory.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  return writeFileWithMode(join(dir, `sshd_config-${randomBytes(4).toString('hex')}`), `HostKey ${hostKey}\n${text}`, 0o600);
}

/** The real bundle's `check --json`; it reads the sshd_config through the real `sshd -T -C`. */
function check(config: string, extraArgs: readonly string[]): { status: number | null; report: CheckReport } {
  const result = spawnSync(BUNDLE, ['check', '--config', config, '--json', ...extraArgs], {
    encoding: 'utf8',
    env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
  });
  return { status: result.status, report: JSON.parse(result.stdout) as CheckReport };
}

function codes(report: CheckReport, prefix = ''): string[] {
  return report.warnings.map((w) => w.code ?? '').filter((code) => code !== '' && code.startsWith(prefix)).sort();
}

const account = (): string => `pcl${randomBytes(3).toString('hex')}`;
const needsSshd = { skip: existsSync(SSHD) ? false : `needs ${SSHD}` };

describe('check: sshd settings for the served account and config warnings', () => {
  it('CFG-034 check reads the account\'s Match User block through sshd -T -C: AcceptEnv and SetEnv NODE_OPTIONS warn for that account only', needsSshd, () => {
    const dir = makeTempDir();
    const config = writeConfig(dir, 'id = "h1"', '');
    const served = account();
    const other = account();
    const sshdConfig = writeSshdConfig(dir, `AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
Match User ${served}
  AcceptEnv LANG NODE_OPTIONS
  SetEnv NODE_OPTIONS=--require=/tmp/x.js
`);
    const hit = check(config, ['--sshd-config', sshdConfig, '--account', served]);
    assert.equal(hit.status, 0, 'warnings do not fail check');
    assert.deepEqual(codes(hit.report, 'sshd_'), ['sshd_accept_env', 'sshd_set_env']);
    assert.deepEqual(hit.report.sshd, { account: served, sshd_config: sshdConfig, read: true });
    // The same file for another account: the Match block does not apply, so nothing to say.
    const miss = check(config, [`--sshd-config=${sshdConfig}`, `--account=${other}`]);
    assert.deepEqual(codes(miss.report, 'sshd_'), []);
    assert.equal(miss.report.sshd.read, true);
    // When sshd cannot read its settings, check says so instead of passing silently.
    const unread = check(config, ['--sshd-config', join(dir, 'missing_config'), '--account', served]);
    assert.equal(unread.status, 0);
    assert.deepEqual(codes(unread.report, 'sshd_'), ['sshd_not_read']);
    assert.equal(unread.report.sshd.read, false);
    // A name that would smuggle another connection field into sshd -C is a usage error.
    assert.equal(spawnSync(BUNDLE, ['check', '--config', config, '--account', `${served},user=root`]).status, 2);
  });

  it('CFG-060 the account itself runs check (install guide section 9): sshd -T is read with a throwaway host key, so forced_line = true still verifies sshd', needsSshd, () => {
    const dir = makeTempDir();
    chmodSync(dir, 0o755);
    const sshdConfig = writeSshdConfig(dir, `Match User nobody\n  AcceptEnv LANG SSH_ORIG*\n`);
    chmodSync(sshdConfig, 0o644);
    const config = writeConfig(dir, 'id = "h1"\nforced_line = true', '');
    chmodSync(config, 0o644);
    const bundle = reachableBundle(dir);
    // The host key stays root's 0600: as the account, sshd -T alone says "no hostkeys available".
    assert.match(spawnSync('runuser', ['-u', 'nobody', '--', SSHD, '-T', '-f', sshdConfig], { encoding: 'utf8' }).stderr, /no hostkeys available/);
    const result = spawnSync('runuser', ['-u', 'nobody', '--', '/usr/bin/env', 'PATH=/usr/local/bin:/usr/bin:/bin', bundle, 'check', '--config', config, '--json', '--sshd-config', sshdConfig], { encoding: 'utf8' });
    assert.ok(result.stdout.startsWith('{'), `check printed no report: ${result.stderr}`);
    const report = JSON.parse(result.stdout) as CheckReport & { errors?: Warning[] };
    assert.equal(report.sshd.read, true, JSON.stringify(report.sshd));
    const errorCodes = (report.errors ?? []).map((e) => e.code ?? '');
    assert.ok(errorCodes.includes('sshd_accept_env'), `the Match block for the account was read: ${errorCodes.join(', ')}`);
    assert.ok(!errorCodes.includes('sshd_not_read'));
  });

  it('CFG-052 with forced_line = true, check fails when sshd lets the account\'s clients set SSH_ORIGINAL_COMMAND', needsSshd, () => {
    const dir = makeTempDir();
    const served = account();
    const sshdConfig = writeSshdConfig(dir, `Match User ${served}\n  AcceptEnv LANG SSH_ORIG*\n`);
    const errorCodes = (report: CheckReport & { errors?: Warning[] }): string[] => (report.errors ?? []).map((e) => e.code ?? '').filter((c) => c !== '');
    // Without the opt-in the -c line is never trusted: the setting is only worth a warning.
    const plain = check(writeConfig(dir, 'id = "h1"', ''), ['--sshd-config', sshdConfig, '--account', served]);
    assert.equal(plain.status, 0);
    assert.deepEqual(codes(plain.report, 'sshd_'), ['sshd_accept_env']);
    // With it, a client-set SSH_ORIGINAL_COMMAND would make the client's -c text operator options.
    const trusted = check(writeConfig(dir, 'id = "h1"\nforced_line = true', ''), ['--sshd-config', sshdConfig, '--account', served]);
    assert.equal(trusted.status, 129);
    assert.equal(trusted.report.ok, false);
    assert.deepEqual(errorCodes(trusted.report), ['sshd_accept_env']);
    // A server SetEnv of it is the same hole, and unread settings are unverified ones.
    const setEnv = writeSshdConfig(dir, `Match User ${served}\n  SetEnv SSH_ORIGINAL_COMMAND=x\n`);
    const trustedConfig = writeConfig(dir, 'id = "h1"\nforced_line = true', '');
    assert.deepEqual(errorCodes(check(trustedConfig, ['--sshd-config', setEnv, '--account', served]).report), ['sshd_set_env']);
    const unread = check(trustedConfig, ['--sshd-config', join(dir, 'missing_config'), '--account', served]);
    assert.equal(unread.status, 129);
    assert.deepEqual(errorCodes(unread.report), ['sshd_not_read']);
    // A setting that reaches only NODE_* stays a warning under the opt-in.
    const nodeOnly = writeSshdConfig(dir, `Match User ${served}\n  AcceptEnv NODE_OPTIONS\n`);
    const other = check(writeConfig(dir, 'id = "h1"\nforced_line = true', ''), ['--sshd-config', nodeOnly, '--account', served]);
    assert.equal(other.status, 0);
    assert.deepEqual(codes(other.report, 'sshd_'), ['sshd_accept_env']);
  });

  it('CFG-035 check warns on PermitUserEnvironment yes or a pattern reaching NODE_*, read through sshd', needsSshd, () => {
    const dir = makeTempDir();
    const config = writeConfig(dir, 'id = "h1"', '');
    const cases: ReadonlyArray<readonly [string, string[]]> = [
      ['yes', ['sshd_user_environment']],
      ['N*,LANG', ['sshd_user_environment']],
      ['LANG,LC_*', []],
      ['no', []],
    ];
    for (const [value, expected] of cases) {
      // OpenSSH 9.2 refuses PermitUserEnvironment inside Match, so the global setting it is.
      const sshdConfig = writeSshdConfig(dir, `PermitUserEnvironment ${value}\n`);
      const { report } = check(config, ['--sshd-config', sshdConfig, '--account', account()]);
      assert.deepEqual(codes(report, 'sshd_'), expected, `PermitUserEnvironment ${value}`);
    }
  });

  it('CFG-036 check warns on Subsystem internal-sftp for an account without ForceCommand', needsSshd, () => {
    const dir = makeTempDir();
    const config = writeConfig(dir, 'id = "h1"', '');
    const open = account();
    const forced = account();
    const sftpForced = account();
    const sshdConfig = writeSshdConfig(dir, `Subsystem sftp internal-sftp
Match User ${forced}
  ForceCommand /usr/local/bin/portcullis
Match User ${sftpForced}
  ForceCommand internal-sftp
`);
    const run = (name: string) => codes(check(config, ['--sshd-config', sshdConfig, '--account', name]).report, 'sshd_');
    assert.deepEqual(run(open), ['sshd_in_process_subsystem']);
    assert.deepEqual(run(forced), []);
    assert.deepEqual(run(sftpForced), ['sshd_in_process_subsystem']);
    const external = writeSshdConfig(dir, 'Subsystem sftp /usr/lib/openssh/sftp-server\n');
    assert.deepEqual(codes(check(config, ['--sshd-config', external, '--account', open]).report, 'sshd_'), []);
  });

  it('CFG-037 check matches client-settable variables by prefix family, wildcards included', () => {
    const dangerous = ['*', 'N*', 'NODE_?PTIONS', 'NODE_REPL_HISTORY', 'LD_BIND_NOW', 'L*', 'GLIBC_TUNABLES', '?LIBC_*', 'LOCPATH', 'SSH_USER_AUTH', 'SSH_*', 'SSH_ORIGINAL_COMMAND'];
    for (const pattern of dangerous) {
      assert.deepEqual(readSshdWarnings(`acceptenv ${pattern}\n`).map((w) => w.code), ['sshd_accept_env'], `AcceptEnv ${pattern}`);
    }
    for (const pattern of ['LANG', 'LC_*', 'TERM', 'COLORTERM', 'LD', 'NODEX', 'LOCPATHS', 'XNODE_*']) {
      assert.deepEqual(readSshdWarnings(`acceptenv ${pattern}\n`), [], `AcceptEnv ${pattern}`);
    }
    // Set by the server, not the client, but Node still runs it before Portcullis.
    assert.deepEqual(readSshdWarnings('setenv NODE_OPTIONS=--require=/x.js\n').map((w) => w.code), ['sshd_set_env']);
    assert.deepEqual(readSshdWarnings('setenv GLIBC_TUNABLES=x\nsetenv LANG=C.UTF-8\n').map((w) => w.code), ['sshd_set_env']);
  });

  it('CFG-038 check and sign warn on an empty server.id while tokens are configured', () => {
    const dir = makeTempDir();
    const token = `[tokens.bot]\nsecret = "hex:${'ab'.repeat(16)}"\nlevel = "ops"\n`;
    const noSshdArgs = ['--sshd-config', join(dir, 'none')];
    const idCodes = (serverExtra: string, extra: string) =>
      check(writeConfig(dir, serverExtra, extra), noSshdArgs).report.warnings.filter((w) => w.code === 'server_id_empty').map((w) => w.path);
    assert.deepEqual(idCodes('id = ""', token), ['server.id']);
    assert.deepEqual(idCodes('', token), ['server.id'], 'server.id defaults to ""');
    assert.deepEqual(idCodes('id = "web-01"', token), []);
    assert.deepEqual(idCodes('id = ""', ''), [], 'no tokens, no proofs');

    const sign = (extra: readonly string[]) => spawnSync(BUNDLE, ['sign', '--token', 'bot', '--secret-env', 'S', ...extra, 'app status'], {
      encoding: 'utf8',
      env: { S: 'a-secret-of-at-least-16-bytes' },
    });
    for (const extra of [[], ['--server-id', ''], ['--server-id=']]) {
      const signed = sign(extra);
      assert.equal(signed.status, 0, `sign ${extra.join(' ')} still signs`);
      assert.match(signed.stdout, /^\+token=bot \+ts=\d+ \+nonce=[0-9a-f]{32} \+proof=[0-9a-f]{64} app status\n$/);
      assert.match(signed.stderr, /^portcullis sign: warning: server_id_empty: /);
      assert.equal(signed.stderr.split('\n').length, 2, 'one line on stderr');
    }
    const bound = sign(['--server-id', 'web-01']);
    assert.equal(bound.status, 0);
    assert.equal(bound.stderr, '');
  });

  it('CFG-039 check warns on a path root, or a directory under it, writable by group or others', () => {
    const dir = makeTempDir();
    const root = join(dir, 'files');
    mkdirSync(join(root, 'a', 'deep'), { recursive: true });
    mkdirSync(join(root, 'b'));
    chmodSync(dir, 0o755);
    chmodSync(root, 0o755);
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    chmodSync(outside, 0o777);
    symlinkSync(outside, join(root, 'link')); // not followed: serving refuses it anyway
    const pathArg = (name: string, argRoot: string) => `
[domains.app.actions.${name}]
description = "Read a file"
level = "read"
exec = ["/bin/cat", "{file}"]
[domains.app.actions.${name}.args.file]
type = "path"
root = "${argRoot}"
`;
    const config = writeConfig(dir, 'id = "h1"', pathArg('cat', root) + pathArg('head', root));
    const noSshdArgs = ['--sshd-config', join(dir, 'none')];
    const rootWarnings = () => check(config, noSshdArgs).report.warnings.filter((w) => (w.code ?? '').startsWith('path_root'));
    assert.deepEqual(rootWarnings(), [], 'a tree only its owner can write');

    chmodSync(join(root, 'a', 'deep'), 0o777);
    let found = rootWarnings();
    assert.deepEqual(found.map((w) => [w.code, w.path]), [
      ['path_root_writable', 'domains.app.actions.cat.args.file.root'],
      ['path_root_writable', 'domains.app.actions.head.args.file.root'],
    ]);
    assert.ok(found.every((w) => w.message.includes(join(root, 'a', 'deep'))));
    chmodSync(join(root, 'a', 'deep'), 0o755);

    chmodSync(root, 0o1775); // sticky: others still create names the action then reads or writes
    found = rootWarnings();
    assert.equal(found.length, 2);
    assert.ok(found.every((w) => w.message.includes(root)));
  });

  it('CFG-039 the walk under a path root is bounded and says when it stopped', () => {
    const root = makeTempDir();
    for (let i = 0; i < 30; i++) mkdirSync(join(root, `d${i}`));
    chmodSync(join(root, 'd29'), 0o777);
    const small = writableDirectories(root, { entries: 10, depth: 16 });
    assert.equal(small.truncated, true);
    const whole = writableDirectories(root, { entries: 1000, depth: 16 });
    assert.deepEqual(whole, { found: [join(root, 'd29')], truncated: false });
    let deep = root;
    for (let i = 0; i < 4; i++) mkdirSync((deep = join(deep, 'x')));
    assert.equal(writableDirectories(root, { entries: 1000, depth: 2 }).truncated, true);
  });

  it('CFG-040 check warns on an int that can be negative placed as a whole argv element', () => {
    const dir = makeTempDir();
    const intAction = (name: string, element: string, bounds: string) => `
[domains.app.actions.${name}]
description = "Tail"
level = "read"
exec = ["/usr/bin/tail", "${element}", "/dev/null"]
[domains.app.actions.${name}.args.n]
type = "int"
${bounds}
`;
    const config = writeConfig(dir, 'id = "h1"', [
      intAction('whole', '{n}', 'min = -10\nmax = 10'),
      intAction('joined', '--lines={n}', 'min = -10\nmax = 10'),
      intAction('nonneg', '{n}', 'min = 0\nmax = 10'),
      intAction('unbounded', '{n}', 'max = 10'),
    ].join(''));
    const found = check(config, ['--sshd-config', join(dir, 'none')]).report.warnings.filter((w) => w.code === 'int_negative_argv');
    assert.deepEqual(found.map((w) => w.path), ['domains.app.actions.whole.exec[1]']);
  });
});
