import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE, SshdHarness } from '../testkit/sshd.js';
import { makeFixture, type E2eFixture } from './fixture.js';

let sshd: SshdHarness;
let fx: E2eFixture;

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

before(async () => {
  fx = makeFixture();
  appendFileSync(fx.configPath, `
[domains.up]
description = "Uploads"
[domains.up.actions.store]
description = "Stores its stdin in a file named by the caller"
level = "read"
exec = ["/usr/bin/tee", "${fx.dir}/{name}"]
stdin = { max_bytes = 2000000 }
[domains.up.actions.store.args.name]
type = "enum"
values = ["cut", "mismatch", "signed", "swapped"]
`);
  sshd = await SshdHarness.start([{ name: 'reader', options: `restrict,command="${fx.command('--level read --identity reader')}"` }]);
});

after(async () => {
  await sshd.stop();
  fx.cleanup();
});

function sshArgs(command: string): string[] {
  return ['-F', '/dev/null', '-i', join(sshd.dir, 'client_reader'), '-p', String(sshd.port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', 'root@127.0.0.1', '--', command];
}

describe('attack catalog: REL (stdin through a real sshd)', () => {
  it('REL-020 runs nothing when the client disconnects mid-upload of a +stdin_sha256 upload; the records say why', async () => {
    // Under OpenSSH a lost connection reaches us as EOF on a pipe, and the presence check
    // (the parent still being sshd) can lose that race: the hash is what makes it certain.
    const whole = Buffer.alloc(1_000_000, 'a');
    const client = spawn('ssh', sshArgs(`+stdin_sha256=${sha256(whole)} up store name=cut`), { stdio: ['pipe', 'ignore', 'ignore'] });
    client.stdin.on('error', () => undefined);
    client.stdin.write(whole.subarray(0, 70000));
    // Let the first part reach Portcullis, then the connection is lost (no EOF is sent).
    for (let i = 0; i < 200 && spawnSync('pgrep', ['-f', `node .*${fx.configPath}`]).status !== 0; i++) await sleep(100);
    await sleep(500);
    client.kill('SIGKILL');
    await new Promise((r) => client.on('close', r));
    let records: Array<Record<string, any>> = [];
    for (let i = 0; i < 200; i++, await sleep(100)) {
      records = fx.auditRecords().filter((r) => r.request === 'up store name=cut');
      if (records.some((r) => r.event === 'outcome' || r.event === 'decision')) break;
    }
    assert.equal(existsSync(join(fx.dir, 'cut')), false, `the action ran on a truncated upload: ${JSON.stringify(records)}`);
    const decision = records.find((r) => r.event === 'decision');
    const outcome = records.find((r) => r.event === 'outcome');
    // Refused at EOF for the hash, refused while reading, or allowed and then aborted before the start.
    assert.ok(decision?.reason === 'stdin_mismatch' || /aborted/.test(String(decision?.detail)) || outcome?.error === 'aborted', JSON.stringify(records));
    if (outcome !== undefined) assert.equal(outcome.exit_code, null);
  });

  it('REL-021 refuses an upload whose +stdin_sha256 does not match, with reason stdin_mismatch; nothing runs', async () => {
    const r = await sshd.ssh('reader', `+stdin_sha256=${sha256('the whole file\n')} up store name=mismatch`, { stdin: 'the whole' });
    assert.equal(r.json?.error?.code, 'bad_request');
    assert.equal(r.json?.error?.reason, 'stdin_mismatch');
    assert.equal(r.status, 132);
    assert.equal(existsSync(join(fx.dir, 'mismatch')), false);
  });

  it('REL-022 runs a request signed with sign --stdin with that input; other input under a signed line is refused', async () => {
    const file = join(fx.dir, 'payload');
    writeFileSync(file, 'release 1.2.3\n');
    const sign = (command: string): string =>
      execFileSync(BUNDLE, ['sign', '--token', 'bot', '--secret-file', join(fx.dir, 'bot.secret'), '--server-id', 'e2e-host', '--stdin', file, command], { encoding: 'utf8' }).trim();
    const good = await sshd.ssh('reader', sign('up store name=signed'), { stdin: 'release 1.2.3\n' });
    assert.equal(good.status, 0, good.stdout);
    assert.equal(good.json?.stdout, 'release 1.2.3\n');
    const swapped = await sshd.ssh('reader', sign('up store name=swapped'), { stdin: 'release 6.6.6\n' });
    assert.equal(swapped.json?.error?.code, 'bad_request');
    assert.equal(swapped.json?.error?.reason, 'stdin_mismatch');
    assert.equal(existsSync(join(fx.dir, 'swapped')), false);
  });
});
