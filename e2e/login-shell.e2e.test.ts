import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SshdHarness } from '../testkit/sshd.js';
import { reachableBundle } from '../testkit/reachable-bundle.js';
import { makeFixture, type E2eFixture } from './fixture.js';

// Creating a throwaway account needs root; CI runs as root.
const isRoot = process.getuid?.() === 0;
const account = `pcl${randomBytes(3).toString('hex')}`;
let sshd: SshdHarness;
let fx: E2eFixture;

describe('e2e: Portcullis as the login shell', { skip: isRoot ? false : 'needs root to create a throwaway account' }, () => {
  before(async () => {
    // The forced key below is form A+B, which needs the opt-in (docs/protocol.md §2.1).
    fx = makeFixture('', 'forced_line = true');
    const wrapper = join(fx.dir, 'portcullis-shell');
    // The operator's wrapper from docs/protocol.md §2.1: options before the -c that sshd appends.
    writeFileSync(wrapper, `#!/bin/sh\nexec ${reachableBundle(fx.dir)} --config ${fx.configPath} "$@"\n`, { mode: 0o755 });
    // '*' rather than a locked '!' password: sshd without PAM refuses locked accounts, even for keys.
    execFileSync('useradd', ['--no-create-home', '--home-dir', fx.dir, '--shell', wrapper, '--password', '*', account]);
    execFileSync('chown', ['-R', `${account}:${account}`, fx.dir]);
    sshd = await SshdHarness.start([
      { name: 'shell-only', options: 'restrict', user: account },
      { name: 'forced', options: 'restrict,command="portcullis --level ops --identity forced-key"', user: account },
    ]);
  });

  after(async () => {
    await sshd?.stop();
    execFileSync('userdel', [account]);
    fx?.cleanup();
  });

  it('form B: the request is the -c string, at level read, identity = account', async () => {
    const r = await sshd.ssh('shell-only', 'whoami');
    assert.equal(r.status, 0);
    assert.equal(r.json?.identity, account);
    assert.equal(r.json?.level, 'read');
    const ran = await sshd.ssh('shell-only', 't echo msg=from-shell');
    assert.equal(ran.json?.stdout, 'from-shell\n');
    const decision = fx.auditRecords().find((rec) => rec.request_id === ran.json?.request_id);
    assert.equal(decision?.user, account);
  });

  it('form B: a level-read shell cannot run an ops action', async () => {
    const r = await sshd.ssh('shell-only', 't ops');
    assert.equal(r.json?.error?.code, 'insufficient_level');
  });

  it('form A+B: options come from the forced command line, the request from SSH_ORIGINAL_COMMAND', async () => {
    const r = await sshd.ssh('forced', 'whoami');
    assert.equal(r.json?.identity, 'forced-key');
    assert.equal(r.json?.level, 'ops');
    const ran = await sshd.ssh('forced', 't ops');
    assert.equal(ran.json?.stdout, 'ops ran\n');
  });

  it('form B: shell syntax sent as the command is refused by the grammar', async () => {
    const r = await sshd.ssh('shell-only', 'whoami; id');
    assert.equal(r.json?.error?.code, 'bad_request');
    assert.equal(r.status, 132);
  });

  it('form B: no command at all answers bad_request with the help hint', async () => {
    const r = await sshd.ssh('shell-only', null, { extraArgs: ['-T'] });
    assert.equal(r.json?.error?.code, 'bad_request');
  });

  it('forms A+B: no client command answers "no command given", with no option from the forced line', async () => {
    const r = await sshd.ssh('forced', null, { extraArgs: ['-T'] });
    assert.equal(r.json?.error?.code, 'bad_request');
    assert.equal(r.json?.error?.hint, 'no command given; try: ssh <host> help (many requests: ssh -T <host> session)');
    const decision = fx.auditRecords().find((rec) => rec.request_id === r.json?.request_id);
    assert.equal(decision?.identity, account);
  });
});

