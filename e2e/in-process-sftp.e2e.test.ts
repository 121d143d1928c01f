import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runProcess, SshdHarness, type SshResult } from '../testkit/sshd.js';
import { reachableBundle } from '../testkit/reachable-bundle.js';
import { makeFixture, type E2eFixture } from './fixture.js';

// The evidence behind docs/install.md's warning and check's sshd_in_process_subsystem:
// with `Subsystem sftp internal-sftp`, sshd serves files itself and never runs the login
// shell, so form B alone is no gate. Creating a throwaway account needs root; CI runs as root.
const isRoot = process.getuid?.() === 0;
const account = `pcl${randomBytes(3).toString('hex')}`;
const SECRET_TEXT = `only the account may read this ${randomBytes(8).toString('hex')}\n`;
let fx: E2eFixture;
let wrapper: string;
let keysOnly: SshdHarness;
let forceCommand: SshdHarness;

/** `sftp -b` (the real openssh-client) with a harness key; the batch runs as the account. */
function sftp(sshd: SshdHarness, keyName: string, batch: string): Promise<SshResult> {
  const batchFile = join(fx.dir, `batch-${randomBytes(4).toString('hex')}`);
  writeFileSync(batchFile, batch);
  return runProcess('sftp', [
    '-b', batchFile,
    '-F', '/dev/null',
    '-i', join(sshd.dir, `client_${keyName}`),
    '-P', String(sshd.port),
    '-o', 'IdentitiesOnly=yes',
    '-o', 'StrictHostKeyChecking=no',
    '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'LogLevel=ERROR',
    `${account}@127.0.0.1`,
  ], undefined, 30000);
}

describe('e2e: an in-process sftp subsystem next to Portcullis as the login shell', { skip: isRoot ? false : 'needs root to create a throwaway account' }, () => {
  before(async () => {
    fx = makeFixture();
    writeFileSync(join(fx.dir, 'private.txt'), SECRET_TEXT, { mode: 0o600 });
    wrapper = join(fx.dir, 'portcullis-shell');
    writeFileSync(wrapper, `#!/bin/sh\nexec ${reachableBundle(fx.dir)} --config ${fx.configPath} "$@"\n`, { mode: 0o755 });
    execFileSync('useradd', ['--no-create-home', '--home-dir', fx.dir, '--shell', wrapper, '--password', '*', account]);
    execFileSync('chown', ['-R', `${account}:${account}`, fx.dir]);
    // The harness's sshd_config has `Subsystem sftp internal-sftp`, as many distributions ship.
    keysOnly = await SshdHarness.start([
      { name: 'restrict-only', options: 'restrict', user: account },
      { name: 'forced', options: 'restrict,command="portcullis --level read"', user: account },
    ]);
    forceCommand = await SshdHarness.start(
      [{ name: 'restrict-only', options: 'restrict', user: account }],
      `Match User ${account}\n  ForceCommand portcullis\n`,
    );
  });

  after(async () => {
    await keysOnly?.stop();
    await forceCommand?.stop();
    execFileSync('userdel', [account]);
    fx?.cleanup();
  });

  it('REL-017 internal-sftp reads and writes files as the account past Portcullis when the key has no command= and there is no ForceCommand', async () => {
    const copy = join(fx.dir, 'copied.txt');
    const planted = join(fx.dir, 'planted.txt');
    const r = await sftp(keysOnly, 'restrict-only', `get ${join(fx.dir, 'private.txt')} ${copy}\nput ${join(fx.dir, 'private.txt')} ${planted}\n`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(copy, 'utf8'), SECRET_TEXT);
    assert.equal(readFileSync(planted, 'utf8'), SECRET_TEXT);
    // Portcullis never ran: no audit record at all.
    assert.deepEqual(fx.auditRecords(), []);
  });

  it('REL-018 a key with restrict,command= gets Portcullis instead of the in-process sftp server', async () => {
    const copy = join(fx.dir, 'copied-forced.txt');
    const r = await sftp(keysOnly, 'forced', `get ${join(fx.dir, 'private.txt')} ${copy}\n`);
    assert.notEqual(r.status, 0);
    assert.equal(existsSync(copy), false);
    // sshd ran the forced command with the subsystem as SSH_ORIGINAL_COMMAND: a refused request.
    const decisions = fx.auditRecords().filter((rec) => rec.event === 'decision');
    assert.equal(decisions.length, 1);
    assert.notEqual(decisions[0]?.decision, 'allow');
  });

  it('REL-019 ForceCommand for the account stops the in-process sftp server for every key', async () => {
    const before = fx.auditRecords().length;
    const copy = join(fx.dir, 'copied-force-command.txt');
    const r = await sftp(forceCommand, 'restrict-only', `get ${join(fx.dir, 'private.txt')} ${copy}\n`);
    assert.notEqual(r.status, 0);
    assert.equal(existsSync(copy), false);
    const records = fx.auditRecords().slice(before);
    assert.deepEqual(records.map((rec) => rec.event), ['decision'], 'Portcullis ran and recorded its decision');
    assert.notEqual(records[0]?.decision, 'allow');
  });
});
