import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SshdHarness } from '../testkit/sshd.js';
import { reachableBundle } from '../testkit/reachable-bundle.js';
import { makeFixture, type E2eFixture } from './fixture.js';

// `check --keys` against the authorized_keys file a real sshd serves, in the recommended
// form A+B (docs/install.md §4): what the table says each key sees is what `list` answers
// through sshd with that key, and the lines check refuses are the ones sshd ignores.

const isRoot = process.getuid?.() === 0;
const account = `pcl${randomBytes(3).toString('hex')}k`;
let sshd: SshdHarness;
let fx: E2eFixture;
let bundle: string;

interface Entry {
  comment: string | null;
  served: string;
  identity: string | null;
  level: string | null;
  tags: string[] | null;
  actions: string[] | null;
}

interface Report {
  ok: boolean;
  entries: Entry[];
  errors: Array<{ path: string; code: string }>;
}

const KEYS = [
  { name: 'reader', options: 'restrict,from="127.0.0.1,::1",command="portcullis --identity reader"' },
  { name: 'operator', options: 'restrict,command="portcullis --level ops --identity op"' },
  { name: 'billing', options: 'restrict,command="portcullis --tags billing --identity bill"' },
  { name: 'admin', options: 'RESTRICT,COMMAND="portcullis --level admin --tags billing"' },
  { name: 'shell', options: 'restrict' },
  { name: 'typo', options: 'restrict,command="portcullis --level operator"' },
  { name: 'commas', options: ',restrict,,from="127.0.0.1",command="portcullis --identity commas",' },
  { name: 'misspelt', options: 'restrict,commnd="portcullis"' },
  { name: 'unterminated', options: 'restrict,command="portcullis --level ops' },
];

/** The bundle's check --keys, run as the service account as docs/install.md §9 says. */
function checkKeys(): Report {
  const keys = join(sshd.dir, 'authorized', account);
  const result = spawnSync('runuser', ['-u', account, '--', bundle, 'check', '--keys', keys, '--config', fx.configPath, '--account', account, '--json'], { encoding: 'utf8' });
  assert.equal(result.status, 129, result.stdout + result.stderr);
  return JSON.parse(result.stdout) as Report;
}

const row = (report: Report, name: string): Entry | undefined => report.entries.find((entry) => entry.comment === name);

describe('e2e: check --keys agrees with a real sshd', { skip: isRoot ? false : 'needs root to create a throwaway account' }, () => {
  before(async () => {
    fx = makeFixture('', 'forced_line = true');
    bundle = reachableBundle(fx.dir);
    const wrapper = join(fx.dir, 'portcullis-shell');
    writeFileSync(wrapper, `#!/bin/sh\nexec ${bundle} --config ${fx.configPath} "$@"\n`, { mode: 0o755 });
    // '*' rather than a locked '!' password: sshd without PAM refuses locked accounts, even for keys.
    execFileSync('useradd', ['--no-create-home', '--home-dir', fx.dir, '--shell', wrapper, '--password', '*', account]);
    execFileSync('chown', ['-R', `${account}:${account}`, fx.dir]);
    sshd = await SshdHarness.start(KEYS.map((key) => ({ ...key, user: account })));
  });

  after(async () => {
    await sshd?.stop();
    try {
      execFileSync('userdel', [account]);
    } catch {
      // before() failed before the account existed.
    }
    fx?.cleanup();
  });

  it('REL-026 the actions check --keys shows for each key are exactly those `list` answers through sshd with that key', async () => {
    const report = checkKeys();
    for (const name of ['reader', 'operator', 'billing', 'admin', 'shell']) {
      const entry = row(report, name);
      assert.ok(entry?.actions, `${name} has a row with actions`);
      const answer = await sshd.ssh(name, 'list');
      assert.equal(answer.status, 0, `${name}: ${answer.stdout}`);
      const listed = (answer.json?.actions as string[]).map((line) => line.split(' ').slice(0, 2).join(' '));
      assert.deepEqual(listed, entry.actions, name);
      const who = await sshd.ssh(name, 'whoami');
      assert.deepEqual([who.json?.identity, who.json?.level, who.json?.tags], [entry.identity, entry.level, entry.tags], name);
    }
    // The typo check calls an error is the bare service_unavailable sshd's caller gets.
    assert.equal(row(report, 'typo')?.served, 'refused');
    const typo = await sshd.ssh('typo', 'list');
    assert.equal(typo.status, 129);
    assert.equal(typo.json?.error?.code, 'service_unavailable');
  });

  it('REL-027 the key lines check --keys refuses are the ones sshd ignores: those keys cannot log in', async () => {
    const report = checkKeys();
    const invalidLines = report.errors.filter((e) => e.code === 'key_line_invalid').map((e) => Number(e.path.slice(e.path.lastIndexOf(':') + 1)));
    const lineOf = (name: string): number => KEYS.findIndex((key) => key.name === name) + 1;
    assert.deepEqual(invalidLines.sort(), [lineOf('misspelt'), lineOf('unterminated')].sort());
    for (const name of ['misspelt', 'unterminated']) {
      const r = await sshd.ssh(name, 'whoami');
      assert.equal(r.status, 255, `${name} must not log in: ${r.stdout}`);
    }
    // Empty options and a trailing comma: sshd accepts the key, and so does check.
    assert.equal(row(report, 'commas')?.identity, 'commas');
    assert.equal((await sshd.ssh('commas', 'whoami')).json?.identity, 'commas');
    // Quoted commas in from= and names in capitals read the same way on both sides.
    assert.equal(row(report, 'reader')?.served, 'command');
    assert.equal(row(report, 'admin')?.level, 'admin');
    assert.equal((await sshd.ssh('admin', 'whoami')).json?.level, 'admin');
    // With forced_line = true a key without command= is an error.
    assert.ok(report.errors.some((e) => e.code === 'key_no_command' && e.path.endsWith(`:${lineOf('shell')}`)));
  });
});
