import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { signedRequestLine } from '../src/cli/sign.js';
import { BUNDLE, SshdHarness } from '../testkit/sshd.js';
import { fingerprintOf, makeFixture, type E2eFixture } from './fixture.js';

let sshd: SshdHarness;
let fx: E2eFixture;

before(async () => {
  fx = makeFixture();
  sshd = await SshdHarness.start([
    { name: 'reader', options: `restrict,command="${fx.command('--level read --identity reader')}"` },
    { name: 'pipeline', options: `restrict,command="${fx.command('--level read --identity release-pipeline')}"` },
  ]);
});

after(async () => {
  await sshd.stop();
  fx.cleanup();
});

const sign = (command: string): string =>
  execFileSync(BUNDLE, ['sign', '--token', 'bot', '--secret-file', join(fx.dir, 'bot.secret'), '--server-id', 'e2e-host', command], { encoding: 'utf8' }).trim();
const junk = (command: string): string =>
  signedRequestLine(randomBytes(32), 'e2e-host', 'bot', String(Math.floor(Date.now() / 1000)), randomBytes(16).toString('hex'), command);
/** A second loopback address: the pipeline connects from elsewhere than the reader. */
const FROM_ELSEWHERE = { extraArgs: ['-b', '127.0.0.2'], timeoutMs: 120_000 };
/** The machine is shared: a slow call must fail on its answer, not on the harness's timer. */
const PATIENT = { timeoutMs: 120_000 };

describe('e2e: lockout per caller through a real sshd (ExposeAuthInfo fingerprints)', () => {
  it("REL-024 a read key's junk proofs for the release token lock that key and its address, not the pipeline's valid proof", async () => {
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await sshd.ssh('reader', junk('t admin'), PATIENT));
    assert.deepEqual(answers.map((a) => a.json?.error?.code), [...Array(5).fill('auth_failed'), 'locked_out']);
    const locked = answers[5];
    assert.equal(locked?.status, 131);
    assert.ok(Number(locked?.json?.error?.retry_after) > 0, 'retry_after missing');

    const pipeline = await sshd.ssh('pipeline', sign('t admin'), FROM_ELSEWHERE);
    assert.equal(pipeline.status, 0, pipeline.stdout + pipeline.stderr);
    assert.equal(pipeline.json?.stdout, 'admin ran\n');

    const readerRecords = fx.auditRecords().filter((r) => r.event === 'decision' && r.key === fingerprintOf(join(sshd.dir, 'client_reader.pub')));
    assert.deepEqual(readerRecords.map((r) => r.detail).slice(0, 5), Array(5).fill('bad_proof'));
  });

  it('REL-025 portcullis unlock --token and --address, run by the operator, let the reader sign again', async () => {
    assert.equal((await sshd.ssh('reader', sign('t admin'), PATIENT)).json?.error?.code, 'locked_out');
    execFileSync(BUNDLE, ['unlock', '--config', fx.configPath, '--token', 'bot'], { encoding: 'utf8' });
    const stillLocked = await sshd.ssh('reader', sign('t admin'), PATIENT);
    assert.equal(stillLocked.json?.error?.code, 'locked_out', `the address lock should still hold: ${stillLocked.status} ${stillLocked.stdout} ${stillLocked.stderr}`);
    execFileSync(BUNDLE, ['unlock', '--config', fx.configPath, '--address', '127.0.0.1'], { encoding: 'utf8' });
    const again = await sshd.ssh('reader', sign('t admin'), PATIENT);
    assert.equal(again.json?.stdout, 'admin ran\n', again.stdout);
  });
});
