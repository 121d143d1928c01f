import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAudit } from '../testkit/process.js';
import { SshdHarness } from '../testkit/sshd.js';
import { reachableBundle } from '../testkit/reachable-bundle.js';
import { makeFixture, type E2eFixture } from './fixture.js';

// Forced-line trust through a real sshd (docs/protocol.md §2.1, ADR 0014). The sshd here makes the
// mistake the issue describes: it accepts SSH_ORIGINAL_COMMAND from clients, so in form B a
// client sets it with `ssh -o SetEnv=…` and writes the -c line itself.

const isRoot = process.getuid?.() === 0;
const suffix = randomBytes(3).toString('hex');
// `lax`: the config before -c does not opt in (the default). `trusting`: forced_line = true.
const lax = { account: `pcl${suffix}l`, fx: undefined as unknown as E2eFixture };
const trusting = { account: `pcl${suffix}t`, fx: undefined as unknown as E2eFixture };
let sshd: SshdHarness;

const setEnv = (command: string): string[] => ['-o', `SetEnv=SSH_ORIGINAL_COMMAND="${command}"`];

/** The records of one request in one fixture's audit log. */
const recordsOf = (fx: E2eFixture, requestId: unknown) => fx.auditRecords().filter((rec) => rec.request_id === requestId);

/** An account whose login shell is the operator's wrapper naming `fx`'s config before -c. */
function makeAccount(name: string, fx: E2eFixture): void {
  const wrapper = join(fx.dir, 'portcullis-shell');
  writeFileSync(wrapper, `#!/bin/sh\nexec ${reachableBundle(fx.dir)} --config ${fx.configPath} "$@"\n`, { mode: 0o755 });
  // '*' rather than a locked '!' password: sshd without PAM refuses locked accounts, even for keys.
  execFileSync('useradd', ['--no-create-home', '--home-dir', fx.dir, '--shell', wrapper, '--password', '*', name]);
  execFileSync('chown', ['-R', `${name}:${name}`, fx.dir]);
}

describe('e2e: forced-line trust against a client-set SSH_ORIGINAL_COMMAND', { skip: isRoot ? false : 'needs root to create throwaway accounts' }, () => {
  before(async () => {
    lax.fx = makeFixture();
    trusting.fx = makeFixture('', 'forced_line = true');
    makeAccount(lax.account, lax.fx);
    makeAccount(trusting.account, trusting.fx);
    sshd = await SshdHarness.start(
      [
        { name: 'lax-shell', options: 'restrict', user: lax.account },
        { name: 'lax-forced', options: 'restrict,command="portcullis --level ops --identity forced-key"', user: lax.account },
        { name: 'lax-bare', options: 'restrict,command="portcullis"', user: lax.account },
        { name: 'trusted-forced', options: 'restrict,command="portcullis --level ops --identity forced-key"', user: trusting.account },
      ],
      'AcceptEnv SSH_ORIGINAL_COMMAND',
    );
  });

  after(async () => {
    await sshd?.stop();
    for (const { account, fx } of [lax, trusting]) {
      try {
        execFileSync('userdel', [account]);
      } catch {
        // The account was never created: before() failed first.
      }
      fx?.cleanup();
    }
  });

  it('REL-012 refuses a client-set SSH_ORIGINAL_COMMAND beside -c text with options, without the opt-in', async () => {
    const r = await sshd.ssh('lax-shell', 'x --level admin --identity forged', { extraArgs: setEnv('t admin') });
    assert.equal(r.status, 129);
    assert.equal(r.json?.error?.code, 'service_unavailable');
    assert.equal(r.json?.error?.detail, undefined);
    const records = recordsOf(lax.fx, r.json?.request_id);
    assert.deepEqual(records.map((rec) => rec.event), ['decision'], 'the action did not run');
    assert.equal(records[0]?.error, 'service_unavailable');
    assert.match(String(records[0]?.detail), /forced_line/);
    assert.equal(records[0]?.identity, lax.account);
    assert.equal(records[0]?.level, 'read');
    assert.equal(records[0]?.request, 't admin');
  });

  it('REL-013 does not let -c text pick a config the account owns, without the opt-in', async () => {
    const evil = join(lax.fx.dir, 'evil.toml');
    const evilAudit = join(lax.fx.dir, 'evil-audit.jsonl');
    const text = readFileSync(lax.fx.configPath, 'utf8')
      .replace(/^audit_log = .*$/m, `audit_log = "${evilAudit}"\nforced_line = true`)
      .replace('"config-A"', '"evil config used"');
    writeFileSync(evil, text, { mode: 0o644 });
    const uid = Number(execFileSync('id', ['-u', lax.account], { encoding: 'utf8' }).trim());
    chownSync(evil, uid, uid);
    const r = await sshd.ssh('lax-shell', `x --config ${evil} --level admin`, { extraArgs: setEnv('t which') });
    assert.equal(r.status, 129);
    assert.notEqual(r.json?.stdout, 'evil config used\n');
    assert.deepEqual(readAudit(evilAudit), [], 'the evil config was never used');
    assert.match(String(recordsOf(lax.fx, r.json?.request_id)[0]?.detail), /forced_line/);
  });

  it('REL-014 with the opt-in and command= on the key, sshd replaces a client-set SSH_ORIGINAL_COMMAND and the forced options apply', async () => {
    const r = await sshd.ssh('trusted-forced', 't ops', { extraArgs: setEnv('t admin') });
    assert.equal(r.status, 0, r.stdout);
    assert.equal(r.json?.stdout, 'ops ran\n');
    const who = await sshd.ssh('trusted-forced', 'whoami', { extraArgs: setEnv('t admin') });
    assert.equal(who.json?.identity, 'forced-key');
    assert.equal(who.json?.level, 'ops');
    const records = recordsOf(trusting.fx, r.json?.request_id);
    assert.equal(records[0]?.request, 't ops', 'the request is the client\'s real command, not its SetEnv');
  });

  it('REL-015 reveals nothing to a client that puts --diagnostic in its -c text', async () => {
    const r = await sshd.ssh('lax-shell', 'x --diagnostic', { extraArgs: setEnv('t echo msg=hi') });
    assert.equal(r.status, 129);
    assert.equal(r.json?.error?.detail, undefined);
    assert.equal(r.stderr.trim(), 'portcullis: service_unavailable: service unavailable');
  });

  it('REL-016 without the opt-in, refuses a command= line with options (fail closed) and serves a bare command="portcullis" at the wrapper\'s options', async () => {
    const forced = await sshd.ssh('lax-forced', 't ops');
    assert.equal(forced.status, 129);
    assert.deepEqual(recordsOf(lax.fx, forced.json?.request_id).map((rec) => [rec.event, rec.error]), [['decision', 'service_unavailable']]);
    const bare = await sshd.ssh('lax-bare', 'whoami');
    assert.equal(bare.status, 0);
    assert.equal(bare.json?.level, 'read');
    assert.equal(bare.json?.identity, lax.account);
  });
});
