import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeChainHost, readLines, verifyAudit, type ChainHost } from '../testkit/audit-chain.js';

// docs/audit.md's rsyslog imfile recipe, run by a real rsyslogd on a log the bundle wrote:
// the archive verifies; without maxMessageSize a long record is cut and the copy does not.
const GUIDE = readFileSync(resolve(__dirname, '..', '..', 'docs', 'audit.md'), 'utf8');
const RSYSLOGD = '/usr/sbin/rsyslogd';

async function ship(host: ChainHost, recipe: string, name: string): Promise<string> {
  const dir = join(host.dir, name);
  mkdirSync(join(dir, 'work'), { recursive: true });
  const archive = join(dir, 'archive.jsonl');
  // Hermetic: rsyslog's own state goes to the test's directory, never /var/spool/rsyslog.
  const conf = `global(workDirectory="${dir}/work")\n${recipe.replaceAll('/var/log/portcullis/audit.jsonl', host.log).replaceAll('/srv/audit-archive/portcullis.jsonl', archive)}`;
  writeFileSync(join(dir, 'rsyslog.conf'), conf, { mode: 0o644 });
  const daemon = spawn(RSYSLOGD, ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslogd.pid')], { stdio: 'ignore' });
  try {
    const want = readLines(host.log).length;
    for (let waited = 0; waited < 15000; waited += 100) {
      await sleep(100);
      try {
        if (readLines(archive).length >= want) break;
      } catch {
        // Not written yet.
      }
    }
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((done) => daemon.on('close', done));
  }
  return archive;
}

describe('the rsyslog recipe of docs/audit.md', () => {
  const recipe = /<!-- recipe:rsyslog -->\n```\n([\s\S]*?)```/.exec(GUIDE)?.[1];

  it('ships the chained log byte for byte, long records included; without maxMessageSize the copy of a long record breaks', async () => {
    assert.ok(recipe !== undefined, 'the rsyslog recipe is missing from docs/audit.md');
    assert.match(recipe, /maxMessageSize="256k"/);
    const host = makeChainHost('enabled = true', undefined, 'max_request_bytes = 65536');
    assert.equal(host.run('t echo msg=short').status, 0);
    assert.equal(host.run(`t echo msg=${'é'.repeat(4000)}`).status, 0);
    assert.equal(host.run('t echo msg=after').status, 0);
    assert.ok(readLines(host.log).some((line) => Buffer.byteLength(line) > 8192), 'no record longer than rsyslog\'s default: the caveat is not exercised');

    const archive = await ship(host, recipe, 'with-size');
    assert.equal(readFileSync(archive, 'utf8'), readFileSync(host.log, 'utf8'));
    assert.equal(verifyAudit(['--audit-log', archive]).status, 0);

    const cut = await ship(host, recipe.replace(/^global\(maxMessageSize="256k"\)\n/m, ''), 'default-size');
    const result = verifyAudit(['--audit-log', cut]);
    assert.equal(result.status, 2, 'the default 8 KiB limit left the long record whole: the caveat would be wrong');
  });
});
