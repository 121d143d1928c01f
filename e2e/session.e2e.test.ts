import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isAlive } from '../testkit/process.js';
import { SshdHarness } from '../testkit/sshd.js';
import { makeFixture, type E2eFixture } from './fixture.js';

let sshd: SshdHarness;
let fx: E2eFixture;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

before(async () => {
  fx = makeFixture(`
[server.session]
enabled = true

[domains.infra]
description = "The recipe's domain"
[domains.infra.actions.uptime]
description = "Uptime"
level = "read"
exec = ["/bin/echo", "up 3 days"]
`);
  sshd = await SshdHarness.start([{ name: 'reader', options: `restrict,command="${fx.command('--level read --identity reader')}"` }]);
  // `ssh` for the recipe: the real client, pointed at the test sshd, `svc@host` mapped to its account.
  writeFileSync(join(fx.dir, 'ssh'), `#!/bin/sh
for a; do shift; [ "$a" = svc@host ] && a=root@127.0.0.1; set -- "$@" "$a"; done
exec /usr/bin/ssh ${sshOptions().join(' ')} "$@"
`, { mode: 0o755 });
});

after(async () => {
  await sshd.stop();
  fx.cleanup();
});

function sshOptions(): string[] {
  return ['-F', '/dev/null', '-i', join(sshd.dir, 'client_reader'), '-p', String(sshd.port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'];
}

/** The bash recipe from docs/protocol.md, as written there. */
function recipe(): string {
  const doc = readFileSync(resolve(__dirname, '..', '..', 'docs', 'protocol.md'), 'utf8');
  const match = /<!-- recipe:session-coproc -->\n```bash\n([\s\S]*?)```/.exec(doc);
  assert.ok(match?.[1], 'the recipe is missing from docs/protocol.md');
  return match[1];
}

const lines = (text: string): Array<Record<string, any>> => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, any>);

describe('attack catalog: SES (sessions through a real sshd)', () => {
  it('SES-028 the bash coproc recipe of docs/protocol.md works as written against a real sshd', () => {
    const script = `${recipe()}\nstatus=$?\nprintf '%s\\n' "$hello" "$answer" "$answer2" "$end"\necho "{\\"status\\":$status}"\n`;
    const run = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 60000, env: { PATH: `${fx.dir}:/usr/bin:/bin` } });
    assert.equal(run.status, 0, run.stderr);
    const [hello, answer, answer2, end, exit] = lines(run.stdout);
    assert.equal(typeof hello?.session?.id, 'string', run.stdout);
    assert.deepEqual([answer?.id, answer?.ok, answer?.stdout], ['1', true, 'up 3 days\n']);
    assert.deepEqual([answer2?.id, answer2?.ok], ['2', true]);
    assert.ok((answer2?.actions as string[]).includes('infra uptime'));
    assert.deepEqual([end?.event, end?.reason, end?.requests, end?.request_id], ['end', 'eof', 2, hello?.session?.id]);
    assert.equal(exit?.status, 0);
  });

  it('SES-029 answers 500 pipelined lines, sent in one write, in order and each with its id', () => {
    const count = 500;
    let input = '';
    for (let i = 0; i < count; i++) input += `${JSON.stringify({ id: `p${i}`, request: i % 2 === 0 ? `t echo msg=n${i}` : 'whoami' })}\n`;
    const run = spawnSync('ssh', [...sshOptions(), '-T', 'root@127.0.0.1', '--', 'session'], { input, encoding: 'utf8', timeout: 240000, maxBuffer: 64 * 1024 * 1024 });
    assert.equal(run.status, 0, run.stderr);
    const out = lines(run.stdout);
    assert.equal(out.length, count + 2);
    for (let i = 0; i < count; i++) {
      const answer = out[i + 1];
      assert.equal(answer?.id, `p${i}`);
      if (i % 2 === 0) assert.equal(answer?.stdout, `n${i}\n`);
      else assert.equal(answer?.identity, 'reader');
    }
    const end = out[count + 1];
    assert.deepEqual([end?.reason, end?.requests], ['eof', count]);
  });

  it('SES-030 a disconnect in the middle of an action through sshd kills its group; outcome and end are aborted; no orphan', async () => {
    const client = spawn('ssh', [...sshOptions(), '-T', 'root@127.0.0.1', '--', 'session'], { stdio: ['pipe', 'ignore', 'ignore'] });
    client.stdin.on('error', () => undefined);
    client.stdin.write('{"id":"long","request":"t sleep seconds=53"}\n');
    let decision: Record<string, any> | undefined;
    let sleeper = 0;
    for (let i = 0; i < 200 && sleeper === 0; i++, await sleep(100)) {
      decision ??= fx.auditRecords().find((r) => r.event === 'decision' && r.request === 't sleep seconds=53');
      if (decision === undefined) continue;
      const found = spawnSync('pgrep', ['-P', String(decision.pid), '-f', '^/bin/sleep 53$'], { encoding: 'utf8' });
      sleeper = Number(found.stdout.trim().split('\n')[0] || 0);
    }
    assert.ok(sleeper > 0, 'the action did not start');
    client.kill('SIGKILL');
    let records: Array<Record<string, any>> = [];
    for (let i = 0; i < 100; i++, await sleep(100)) {
      records = fx.auditRecords().filter((r) => r.session_id === decision?.session_id || r.request_id === decision?.session_id);
      if (records.some((r) => r.event === 'session_end')) break;
    }
    const outcome = records.find((r) => r.event === 'outcome');
    const end = records.find((r) => r.event === 'session_end');
    assert.equal(outcome?.error, 'aborted', JSON.stringify(records));
    assert.deepEqual([end?.reason, end?.requests], ['aborted', 1]);
    assert.equal(isAlive(sleeper), false, 'the action outlived the connection');
    assert.equal(isAlive(Number(decision?.pid)), false, 'Portcullis outlived the connection');
  });
});
