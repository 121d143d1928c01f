import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE, SshdHarness } from '../testkit/sshd.js';
import { fingerprintOf, makeFixture, type E2eFixture } from './fixture.js';

// A person's ed25519 key held by a real ssh-agent (hermetic socket), registered as a signer;
// the private key file is deleted once the agent holds it, so only the agent can sign.
let sshd: SshdHarness;
let fx: E2eFixture;
let agent: ChildProcess;
let agentDir: string;
let socket: string;
let publicKey: string;

before(async () => {
  agentDir = mkdtempSync(join(tmpdir(), 'portcullis-agent-'));
  socket = join(agentDir, 'agent.sock');
  agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  const key = join(agentDir, 'approver');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'approver', '-f', key]);
  execFileSync('ssh-add', ['-q', key], { env: { SSH_AUTH_SOCK: socket, PATH: process.env.PATH } });
  unlinkSync(key);
  publicKey = `${key}.pub`;
  fx = makeFixture(`
[signers.approver]
public_key = "${readFileSync(publicKey, 'utf8').trim()}"
level = "admin"
`);
  sshd = await SshdHarness.start([{ name: 'reader', options: `restrict,command="${fx.command('--level read --identity reader')}"` }]);
});

after(async () => {
  await sshd.stop();
  fx.cleanup();
  agent.kill('SIGTERM');
  rmSync(agentDir, { recursive: true, force: true });
});

function sign(command: string): string {
  return execFileSync(BUNDLE, ['sign', '--signer', 'approver', '--ssh-key', publicKey, '--server-id', 'e2e-host', command], {
    env: { SSH_AUTH_SOCK: socket, PATH: process.env.PATH },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

describe('e2e: SSH signature proofs through a real sshd, signed by a key in ssh-agent', () => {
  it('a request signed by the agent-held key runs at the signer level; its replay is refused; the audit names signer and key', async () => {
    const line = sign('t admin');
    assert.match(line, /^\+signer=approver \+ts=\d+ \+nonce=[0-9a-f]{32} \+sig=U1NIU0lH[A-Za-z0-9+/=]+ t admin$/);
    const raised = await sshd.ssh('reader', line);
    assert.equal(raised.status, 0, raised.stdout + raised.stderr);
    assert.equal(raised.json?.stdout, 'admin ran\n');

    const replayed = await sshd.ssh('reader', line);
    assert.equal(replayed.status, 131);
    assert.equal(replayed.json?.error?.reason, 'replayed');

    const decision = fx.auditRecords().find((record) => record.request_id === raised.json?.request_id && record.event === 'decision');
    assert.equal(decision?.signer, 'approver');
    assert.equal(decision?.signer_key, fingerprintOf(publicKey));
    assert.equal(decision?.level, 'admin');
    const sig = /\+sig=([^ ]+)/.exec(line)?.[1] ?? '';
    assert.ok(sig.length > 100 && !JSON.stringify(fx.auditRecords()).includes(sig.slice(50, 110)));
  });

  it('whoami names the signer; a signature for another command is refused and never run lower', async () => {
    const who = await sshd.ssh('reader', sign('whoami'));
    assert.equal(who.json?.signer, 'approver');
    assert.equal(who.json?.level, 'admin');
    const forged = sign('t echo msg=x').replace('t echo msg=x', 't admin');
    const refused = await sshd.ssh('reader', forged);
    assert.equal(refused.json?.error?.code, 'auth_failed');
    assert.equal(refused.json?.error?.reason, 'invalid');
  });
});
