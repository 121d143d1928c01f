import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess, SshdHarness, type SshResult } from '../testkit/sshd.js';
import { reachableBundle } from '../testkit/reachable-bundle.js';
import { fingerprintOf, makeFixture, type E2eFixture } from './fixture.js';

// Certificate mode (docs/install.md, "Deploying to a fleet"): a throwaway CA signs
// short-lived user certificates, and the real sshd trusts that CA for the account through
// TrustedUserCAKeys, with one restrict,command= line per principal in its
// AuthorizedPrincipalsFile. No per-host key list.

const isRoot = process.getuid?.() === 0;
const account = `pcl${randomBytes(3).toString('hex')}c`;
let sshd: SshdHarness;
let fx: E2eFixture;
let bundle: string;
let ssh: string;

const PRINCIPALS = [
  'restrict,command="portcullis --level ops --identity deployer --tags billing" deploy',
  'restrict,command="portcullis --identity viewer" view',
  'command="portcullis --level admin --identity loose" loose',
];

const keygen = (...args: string[]) => execFileSync('ssh-keygen', ['-q', ...args], { encoding: 'utf8' });

/** A fresh key with a certificate from the throwaway CA (`ssh-keygen -s`). */
function certifiedKey(name: string, principal: string, keyId: string, validity: string): string {
  const key = join(ssh, `user_${name}`);
  keygen('-t', 'ed25519', '-N', '', '-C', name, '-f', key);
  keygen('-s', join(ssh, 'ca'), '-I', keyId, '-n', principal, '-V', validity, `${key}.pub`);
  return key;
}

function call(key: string, command: string): Promise<SshResult> {
  return runProcess('ssh', [
    '-F', '/dev/null', '-i', key, '-o', `CertificateFile=${key}-cert.pub`, '-p', String(sshd.port),
    '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'LogLevel=ERROR', `${account}@127.0.0.1`, '--', command,
  ], undefined, 60000);
}

describe('e2e: certificate mode through a real sshd', { skip: isRoot ? false : 'needs root to create a throwaway account' }, () => {
  before(async () => {
    fx = makeFixture('', 'forced_line = true');
    bundle = reachableBundle(fx.dir);
    const wrapper = join(fx.dir, 'portcullis-shell');
    writeFileSync(wrapper, `#!/bin/sh\nexec ${bundle} --config ${fx.configPath} "$@"\n`, { mode: 0o755 });
    execFileSync('useradd', ['--no-create-home', '--home-dir', fx.dir, '--shell', wrapper, '--password', '*', account]);
    execFileSync('chown', ['-R', `${account}:${account}`, fx.dir]);
    // The CA and the principals files are root's, as on a real host.
    ssh = mkdtempSync(join(tmpdir(), 'portcullis-ca-'));
    chmodSync(ssh, 0o755);
    keygen('-t', 'ed25519', '-N', '', '-C', 'throwaway-ca', '-f', join(ssh, 'ca'));
    mkdirSync(join(ssh, 'principals'), { mode: 0o755 });
    writeFileSync(join(ssh, 'principals', account), `${PRINCIPALS.join('\n')}\n`, { mode: 0o644 });
    sshd = await SshdHarness.start([], `Match User ${account}
    TrustedUserCAKeys ${join(ssh, 'ca.pub')}
    AuthorizedPrincipalsFile ${join(ssh, 'principals')}/%u
`);
  });

  after(async () => {
    await sshd?.stop();
    try {
      execFileSync('userdel', [account]);
    } catch {
      // before() failed before the account existed.
    }
    fx?.cleanup();
    if (ssh) rmSync(ssh, { recursive: true, force: true });
  });

  it('REL-028 a short-lived certificate calls through sshd at its principal\'s line, and the audit log names the certificate\'s key id and key', async () => {
    const key = certifiedKey('deploy', 'deploy', 'ci-run-42 pipeline=web', '-1m:+5m');
    const who = await call(key, 'whoami');
    assert.equal(who.status, 0, who.stdout + who.stderr);
    assert.deepEqual([who.json?.identity, who.json?.level, who.json?.tags], ['deployer', 'ops', ['billing']]);
    const ran = await call(key, 't ops');
    assert.equal(ran.json?.stdout, 'ops ran\n');
    const records = fx.auditRecords().filter((record) => record.request_id === ran.json?.request_id);
    assert.deepEqual(records.map((record) => record.event), ['decision', 'outcome']);
    for (const record of records) {
      assert.equal(record.key_id, 'ci-run-42 pipeline=web');
      assert.equal(record.key, fingerprintOf(`${key}.pub`));
    }
  });

  it('REL-029 a certificate for a principal the account does not list gets no login and no audit record', async () => {
    const before = fx.auditRecords().length;
    const key = certifiedKey('stranger', 'root,admin', 'stranger', '-1m:+5m');
    const r = await call(key, 'whoami');
    assert.equal(r.status, 255, r.stdout);
    assert.equal(fx.auditRecords().length, before);
  });

  it('REL-030 an expired certificate, or one from another CA, gets no login', async () => {
    const expired = certifiedKey('expired', 'deploy', 'old', '20200101:20200102');
    assert.equal((await call(expired, 'whoami')).status, 255);
    const other = join(ssh, 'other-ca');
    keygen('-t', 'ed25519', '-N', '', '-f', other);
    const forged = join(ssh, 'user_forged');
    keygen('-t', 'ed25519', '-N', '', '-f', forged);
    keygen('-s', other, '-I', 'forged', '-n', 'deploy', '-V', '-1m:+5m', `${forged}.pub`);
    assert.equal((await call(forged, 'whoami')).status, 255);
  });

  it('REL-031 check --keys reads the principals file as sshd serves it, and refuses the line without restrict', async () => {
    const file = join(ssh, 'principals', account);
    const result = spawnSync('runuser', ['-u', account, '--', bundle, 'check', '--keys', file, '--config', fx.configPath, '--account', account, '--json'], { encoding: 'utf8' });
    assert.equal(result.status, 129, result.stdout + result.stderr);
    const report = JSON.parse(result.stdout) as { format: string; entries: Array<Record<string, any>>; errors: Array<{ path: string; code: string }> };
    assert.equal(report.format, 'principals');
    assert.deepEqual(report.errors.map((e) => [e.path, e.code]), [[`${file}:3`, 'key_not_restricted']]);
    for (const [principal, name] of [['deploy', 'deploy2'], ['view', 'view']] as const) {
      const entry = report.entries.find((row) => row.principal === principal);
      const who = await call(certifiedKey(name, principal, name, '-1m:+5m'), 'whoami');
      assert.deepEqual([who.json?.identity, who.json?.level, who.json?.tags], [entry?.identity, entry?.level, entry?.tags], principal);
    }
  });
});
