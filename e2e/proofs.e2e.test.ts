import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { BUNDLE, SshdHarness } from '../testkit/sshd.js';
import { makeFixture, type E2eFixture } from './fixture.js';

let sshd: SshdHarness;
let fx: E2eFixture;

before(async () => {
  fx = makeFixture();
  sshd = await SshdHarness.start([{ name: 'reader', options: `restrict,command="${fx.command('--level read --identity reader')}"` }]);
});

after(async () => {
  await sshd.stop();
  fx.cleanup();
});

function sign(command: string): string {
  return execFileSync(BUNDLE, ['sign', '--token', 'bot', '--secret-file', join(fx.dir, 'bot.secret'), '--server-id', 'e2e-host', command], { encoding: 'utf8' }).trim();
}

describe('e2e: token proofs through a real sshd', () => {
  it('a signed request runs at the token level; its replay is refused; the next plain request is back at the key level', async () => {
    const line = sign('t admin');
    const raised = await sshd.ssh('reader', line);
    assert.equal(raised.status, 0);
    assert.equal(raised.json?.stdout, 'admin ran\n');

    const replayed = await sshd.ssh('reader', line);
    assert.equal(replayed.status, 131);
    assert.equal(replayed.json?.error?.code, 'auth_failed');
    assert.equal(replayed.json?.error?.reason, 'replayed');

    const plain = await sshd.ssh('reader', 't admin');
    assert.equal(plain.json?.error?.code, 'insufficient_level');
  });

  it('a proof for another command is refused as invalid, never run at a lower level', async () => {
    const forged = sign('t echo msg=harmless').replace('t echo msg=harmless', 't admin');
    const r = await sshd.ssh('reader', forged);
    assert.equal(r.json?.error?.code, 'auth_failed');
    assert.equal(r.json?.error?.reason, 'invalid');
    const readLevel = sign('t echo msg=x').replace('t echo msg=x', 't echo msg=y');
    const downgraded = await sshd.ssh('reader', readLevel);
    assert.equal(downgraded.json?.error?.code, 'auth_failed', 'an action the key could run anyway is still refused');
  });

  it('the token adds its tags for that request: a tenant domain becomes visible', async () => {
    const r = await sshd.ssh('reader', sign('billing report'));
    assert.equal(r.json?.stdout, 'revenue: 42\n');
  });

  it('the audit log names the token and the reason, and never holds the proof or the secret', async () => {
    const line = sign('whoami');
    await sshd.ssh('reader', line);
    const replayed = await sshd.ssh('reader', line);
    assert.equal(replayed.json?.error?.code, 'auth_failed');
    const proof = /\+proof=([0-9a-f]{64})/.exec(line)?.[1] ?? '';
    const log = JSON.stringify(fx.auditRecords());
    assert.ok(proof.length === 64 && !log.includes(proof));
    assert.ok(!log.includes(fx.secret));
    const refusal = fx.auditRecords().find((rec) => rec.request_id === replayed.json?.request_id);
    assert.equal(refusal?.token, 'bot');
    assert.equal(refusal?.decision, 'deny');
  });
});
