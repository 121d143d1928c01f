import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeChainHost, readLines, sessionWriter, verifyAudit, type VerifyRun } from '../../testkit/audit-chain.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { reachableBundle } from '../../testkit/reachable-bundle.js';
import { BUNDLE } from '../../testkit/sshd.js';
import { makeTempDir } from '../../testkit/tmp.js';

const CONTRIB_LOGROTATE = resolve(__dirname, '..', '..', '..', 'contrib', 'logrotate', 'portcullis');

describe('AUDIT: rotation and seals across accounts', () => {
  it('AUDIT-012 a rotation by logrotate -f with contrib/logrotate/portcullis continues the chain: both segments verify, the seam matches', () => {
    const host = makeChainHost();
    for (let i = 0; i < 3; i++) assert.equal(host.run(`t echo msg=before${i}`).status, 0);
    // The shipped file, pointed at this host's log; the account and group of the test run.
    const conf = join(host.dir, 'logrotate.conf');
    const shipped = readFileSync(CONTRIB_LOGROTATE, 'utf8');
    assert.match(shipped, /^\s*create 0640 svc adm$/m);
    assert.doesNotMatch(shipped, /^\s*copytruncate/m);
    writeFileSync(conf, shipped.replaceAll('/var/log/portcullis/audit.jsonl', host.log).replace(/create 0640 svc adm/, 'create 0640 root root'), { mode: 0o644 });
    const rotated = spawnSync('logrotate', ['-f', '-s', join(host.dir, 'logrotate.state'), conf], { encoding: 'utf8' });
    assert.equal(rotated.status, 0, rotated.stderr);
    const old = `${host.log}.1`;
    assert.deepEqual(readLinesOrNone(host.log), [], 'logrotate left a fresh, empty log');
    for (let i = 0; i < 2; i++) assert.equal(host.run(`t echo msg=after${i}`).status, 0);

    const first = verifyAudit(['--audit-log', old]);
    assert.equal(first.status, 0, JSON.stringify(first.json.problem));
    const second = verifyAudit(['--audit-log', host.log, '--segment']);
    assert.equal(second.status, 0, JSON.stringify(second.json.problem));
    assert.equal(verifyAudit(['--audit-log', host.log]).json.problem?.kind, 'head_cut', 'a later segment is not a whole log');
    assert.equal(second.json.first_prev, first.json.last_chain, 'the seam: the new file links to the rotated one');
    assert.equal(second.json.first_seq, (first.json.last_seq ?? -1) + 1);
    assert.equal(readLines(host.log).filter((line) => line.includes('chain_reset')).length, 0);
  });

  it('AUDIT-017 logs renamed away twice while 10 writers append: every segment verifies, the seams match, no record lost, no reset', async () => {
    const host = makeChainHost();
    let done = false;
    const writers = Promise.all(Array.from({ length: 10 }, (_, k) => sessionWriter(host, 10, `w${k}`))).finally(() => {
      done = true;
    });
    const segments: string[] = [];
    for (const n of [1, 2]) {
      // Mid-stream: once the live file holds some records, with writers still running.
      while (!done && readLinesOrNone(host.log).length < 30) await sleep(20);
      assert.ok(!done, 'the writers ended before the rotation: nothing was rotated under them');
      const segment = `${host.log}.${n}`;
      renameSync(host.log, segment);
      segments.push(segment);
    }
    await writers;
    segments.push(host.log);
    let previous: VerifyRun | null = null;
    let records = 0;
    for (const segment of segments) {
      const r = verifyAudit(['--audit-log', segment, ...(previous === null ? [] : ['--segment'])]);
      assert.equal(r.status, 0, `${segment}: ${JSON.stringify(r.json.problem)}`);
      if (previous !== null) assert.equal(r.json.first_prev, previous.json.last_chain, `the seam before ${segment}`);
      records += r.json.records;
      previous = r;
    }
    assert.equal(records, 10 * 22);
  });

  it('AUDIT-013 a seal made by root catches an edit the writing account made and re-chained, which the keyless check cannot', () => {
    const account = `pcaud${process.pid % 100000}`;
    const dir = makeTempDir('portcullis-seal-');
    chmodSync(dir, 0o755);
    execFileSync('useradd', ['--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', account]);
    try {
      const uid = Number(execFileSync('id', ['-u', account], { encoding: 'utf8' }));
      const gid = Number(execFileSync('id', ['-g', account], { encoding: 'utf8' }));
      const own = join(dir, 'svc');
      mkdirSync(own, { mode: 0o700 });
      chownSync(own, uid, gid);
      const host = makeChainHost('enabled = true', own);
      chownSync(host.config, 0, 0);
      const bundle = reachableBundle(dir);
      const asAccount = (args: string[], env: Record<string, string> = {}) => spawnSync(args[0] as string, args.slice(1), { uid, gid, encoding: 'utf8', env: { PATH: '/usr/bin:/bin', ...env } });
      for (let i = 0; i < 4; i++) {
        const r = asAccount([bundle, '--config', host.config], { SSH_ORIGINAL_COMMAND: `t echo msg=r${i}` });
        assert.equal(r.status, 0, r.stdout + r.stderr);
      }
      // Root's seal: a key and a seal log in a root-owned directory the account cannot write.
      const sealDir = join(dir, 'seals');
      mkdirSync(sealDir, { mode: 0o755 });
      const key = join(sealDir, 'key');
      writeFileSync(key, 'root seal key, not for the account\n', { mode: 0o600 });
      const seals = join(sealDir, 'seals.jsonl');
      const sealed = spawnSync(BUNDLE, ['audit', 'seal', '--audit-log', host.log, '--key', `file:${key}`, '--seals', seals], { encoding: 'utf8' });
      assert.equal(sealed.status, 0, sealed.stderr);
      assert.notEqual(asAccount(['/bin/sh', '-c', `echo forged >> ${seals}`]).status, 0, 'the account must not be able to write the seal log');
      assert.notEqual(asAccount(['/bin/cat', key]).status, 0, 'the account must not be able to read the key');

      // The account edits record 2 and re-chains the rest, head included: a keyless chain cannot tell.
      const tamper = `
        const { readFileSync, writeFileSync } = require('node:fs');
        const { createHash } = require('node:crypto');
        const lines = readFileSync(${JSON.stringify(host.log)}, 'utf8').split('\\n').slice(0, -1);
        lines[1] = lines[1].replace('"identity":"', '"identity":"x');
        for (let i = 1; i < lines.length; i++) {
          const prev = lines[i - 1].match(/"chain":"([0-9a-f]{64})"\\}$/)[1];
          const record = lines[i].replace(/,"chain":"[0-9a-f]{64}"\\}$/, '}').replace(/"prev":"[0-9a-f]{64}"\\}$/, '"prev":"' + prev + '"}');
          const chain = createHash('sha256').update(prev + '\\n' + record).digest('hex');
          lines[i] = record.slice(0, -1) + ',"chain":"' + chain + '"}';
        }
        writeFileSync(${JSON.stringify(host.log)}, lines.map((l) => l + '\\n').join(''));
        const last = lines[lines.length - 1].match(/"seq":(\\d+),"prev":"[0-9a-f]{64}","chain":"([0-9a-f]{64})"\\}$/);
        const head = ${JSON.stringify(join(host.stateDir, 'audit.head'))};
        const old = JSON.parse(readFileSync(head, 'utf8'));
        writeFileSync(head, JSON.stringify({ seq: Number(last[1]), chain: last[2], ino: old.ino, dev: old.dev }) + '\\n');
      `;
      const tampered = asAccount([process.execPath, '-e', tamper]);
      assert.equal(tampered.status, 0, tampered.stderr);
      assert.equal(verifyAudit(['--audit-log', host.log]).status, 0, 'the re-chained log passes the keyless check');
      const caught = verifyAudit(['--audit-log', host.log, '--seals', seals, '--key', `file:${key}`]);
      assert.equal(caught.status, 2);
      assert.equal(caught.json.problem?.kind, 'edited');
      assert.match(caught.json.problem?.detail ?? '', /seal/);
      // And the writer carries on from the forged head without noticing: only the seal knows.
      const after = asAccount([bundle, '--config', host.config], { SSH_ORIGINAL_COMMAND: 't echo msg=after' });
      assert.equal(after.status, 0, after.stdout);
      assert.equal(verifyAudit(['--audit-log', host.log, '--seals', seals]).status, 2);
    } finally {
      execFileSync('userdel', [account]);
    }
  });
});

function readLinesOrNone(path: string): string[] {
  try {
    return readLines(path);
  } catch {
    return [];
  }
}


