import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { BUNDLE, parseSingleJsonLine } from '../../testkit/sshd.js';
import { readAudit } from '../../testkit/process.js';
import { makeTempDir, serverTable, writeFileWithMode } from '../../testkit/tmp.js';
import { makeAttackHost } from '../../testkit/attack-config.js';
import { assertOutcome, badRequestAt, refused } from '../../testkit/attack-rows.js';
import { serveOnce } from '../../testkit/serve-once.js';

/**
 * The real bundle serving an action that prints 600 000 zero bytes (an 800 KB answer, far
 * more than a pipe holds), its stdout a pipe that nobody reads yet.
 */
function serveZerosThroughBundle(): { dir: string; child: ChildProcessByStdio<null, Readable, null> } {
  const dir = makeTempDir();
  const config = writeFileWithMode(
    join(dir, 'config.toml'),
    `${serverTable(dir)}[domains.app]\ndescription = "App"\n[domains.app.actions.zeros]\ndescription = "600 000 zero bytes"\nlevel = "read"\nexec = ["/usr/bin/head", "-c", "600000", "/dev/zero"]\n`,
    0o600,
  );
  const child = spawn(BUNDLE, ['--config', config, '--level', 'read'], {
    env: { PATH: '/usr/bin:/bin', SSH_ORIGINAL_COMMAND: 'app zeros' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  child.stdout.pause();
  return { dir, child };
}

describe('attack catalog: OUT (answers and audit log forging)', () => {
  const host = makeAttackHost();
  const auditText = (): string => JSON.stringify(host.audit());

  it('OUT-001 keeps a newline sent in a request from forging an audit line', async () => {
    const result = await serveOnce(host.config, `app echo msg='x\n{"event":"outcome","decision":"allow"}'`);
    assertOutcome(result, badRequestAt(16));
    const lines = host.audit();
    const last = lines.at(-1);
    assert.equal(last?.event, 'decision');
    assert.equal(last?.decision, 'invalid');
    assert.ok(String(last?.request).includes('\n'), 'the raw text is kept, escaped inside JSON');
  });

  it('OUT-002 keeps child output that looks like JSON answers and log lines inside one JSON string', async () => {
    const result = await serveOnce(host.config, 'app forge');
    assert.ok(result.json !== null);
    assert.equal(result.status, 0);
    assert.equal(result.stdout.split('\n').length, 2);
    assert.ok(String(result.json?.stdout).startsWith('{"ok":true}\n\u001b[2J'));
  });

  it('OUT-003 returns bytes that are not UTF-8 as base64, losslessly', async () => {
    const result = await serveOnce(host.config, 'app binary');
    assert.equal(result.json?.stdout_encoding, 'base64');
    assert.deepEqual(Buffer.from(String(result.json?.stdout), 'base64'), Buffer.from([0xff, 0x00, 0xfe]));
  });

  it('OUT-004 caps output, counts every byte and hashes the whole stream', async () => {
    const result = await serveOnce(host.config, 'app flood');
    assert.equal(String(result.json?.stdout).length, 1000);
    assert.equal(result.json?.stdout_truncated, true);
    assert.equal(result.json?.stdout_bytes, 200000);
    const outcome = host.audit().find((r) => r.request_id === result.json?.request_id && r.event === 'outcome');
    assert.equal(outcome?.stdout_sha256, createHash('sha256').update(Buffer.alloc(200000, 'a')).digest('hex'));
    assert.ok(!JSON.stringify(outcome).includes('aaaa'), 'no output body in the audit log');
  });

  it('OUT-005 masks a sensitive value in the audit request and args', async () => {
    assert.equal((await serveOnce(host.config, "app login password='hunter2 hunter2'")).status, 0);
    const last = host.audit().filter((r) => r.event === 'decision').at(-1);
    assert.equal(last?.args.password, '***');
    assert.equal(last?.request, 'app login password=***');
    assert.ok(!auditText().includes('hunter2'));
  });

  it('OUT-006 never echoes a sensitive value in an error message', async () => {
    const result = await serveOnce(host.config, `app login password=-${'s3cr3t'}`);
    assertOutcome(result, refused('bad_argument'));
    assert.ok(!result.stdout.includes('s3cr3t') && !result.stderr.includes('s3cr3t'));
    assert.ok(!auditText().includes('s3cr3t'));
  });

  it('OUT-007 masks +proof= in the raw text of a request that failed the grammar', async () => {
    const proof = 'ab'.repeat(32);
    assertOutcome(await serveOnce(host.config, `+token=bot +ts=1 +nonce=${'c'.repeat(32)} +proof=${proof} app status;id`), refused('bad_request'));
    assert.ok(!auditText().includes(proof));
    assert.ok(auditText().includes('+proof=***'));
  });

  it('OUT-008 writes no stack trace and escapes control characters on stderr', async () => {
    const result = await serveOnce(host.config, 'app echo msg=\u001b[31m');
    assertOutcome(result, badRequestAt(14));
    assert.ok(!/\u001b/.test(result.stderr), 'a raw escape reached stderr');
    assert.ok(!result.stderr.includes('    at '));
  });

  it('OUT-009 caps a huge unknown argument value in the audit log', async () => {
    assertOutcome(await serveOnce(host.config, `app status junk=${'j'.repeat(6000)}`), refused('bad_argument'));
    const last = host.audit().filter((r) => r.event === 'decision').at(-1);
    assert.ok(String(last?.args.junk).length < 400);
  });

  it('OUT-010 answers exactly one JSON line even when the audit log cannot be written', async () => {
    const broken = makeAttackHost();
    const { writeFileSync, readFileSync } = await import('node:fs');
    writeFileSync(broken.config, readFileSync(broken.config, 'utf8').replace(/audit_log = "[^"]+"/, 'audit_log = "/dev/full"'));
    const result = await serveOnce(broken.config, 'app status');
    assertOutcome(result, refused('service_unavailable'));
  });

  const refusedPaths: ReadonlyArray<readonly [string, string, string, string]> = [
    ['OUT-011', 'masks a sensitive value when the caller lacks the level (insufficient_level)', 'app rotate key=k3y-under-level', 'insufficient_level'],
    ['OUT-012', 'masks a sensitive value when the proof is refused (auth_failed)', `+token=bot +ts=1 +nonce=${'a'.repeat(32)} +proof=${'b'.repeat(64)} app rotate key=k3y-bad-proof`, 'auth_failed'],
    ['OUT-013', 'masks a sensitive value when tags hide the action (unknown_action)', 'shared vault pin=p1n-hidden', 'unknown_action'],
  ];
  for (const [id, attack, request, code] of refusedPaths) {
    it(`${id} ${attack}`, async () => {
      const secret = /=([a-z0-9-]+-(?:level|proof|hidden))$/.exec(request)?.[1] ?? 'missing';
      const result = await serveOnce(host.config, request, { argv: ['--level', 'read'] });
      assert.equal(result.json?.error?.code, code);
      assert.ok(!auditText().includes(secret), `${secret} reached the audit log`);
      assert.ok(!result.stdout.includes(secret) && !result.stderr.includes(secret));
    });
  }

  it('OUT-014 keeps the answer within 4/3 of the cap when output is all control bytes', async () => {
    const result = await serveOnce(host.config, 'app controls');
    assert.equal(result.json?.stdout_encoding, 'base64');
    assert.equal(String(result.json?.stdout).length, 4000);
    assert.deepEqual(Buffer.from(String(result.json?.stdout), 'base64'), Buffer.alloc(3000, 1));
    assert.ok(result.stdout.length < 6000);
  });

  it('OUT-015 masks a proof hidden behind a quoted field name in a request the grammar refused', async () => {
    const proof = 'cd'.repeat(32);
    assertOutcome(await serveOnce(host.config, `+token=bot +ts=1 +nonce=${'e'.repeat(32)} '+proof'=${proof} +proof=x app status`), refused('bad_request'));
    assert.ok(!auditText().includes(proof), 'the proof reached the audit log');
  });

  it('OUT-016 turns a bug inside the pipeline into service_unavailable: one line, no stack trace, a decision record', async () => {
    const result = await serveOnce(host.config, 'app upload', {
      argv: ['--config', host.config],
      env: { SSH_CONNECTION: '192.0.2.1 5555 192.0.2.2 22' },
      stdinStream: () => {
        throw new Error('simulated bug');
      },
    });
    assertOutcome(result, refused('service_unavailable'));
    assert.ok(!result.stdout.includes('simulated') && !result.stderr.includes('    at '));
    const decision = host.audit().find((r) => r.request_id === result.json?.request_id);
    assert.equal(decision?.error, 'service_unavailable');
    assert.match(String(decision?.detail), /simulated bug/);
  });

  it('OUT-017 delivers a large answer whole to a reader that is slower than Portcullis', async () => {
    const { child } = serveZerosThroughBundle();
    // The reader starts late: Portcullis must wait for it (a blocking write) instead of
    // exiting with the rest of the answer still queued.
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await sleep(1500);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stdout.resume();
    await new Promise((resolve) => child.stdout.on('end', resolve));
    assert.equal(await exited, 0);
    const answer = parseSingleJsonLine(Buffer.concat(chunks).toString('utf8'));
    assert.ok(answer !== null, `the answer was cut: ${Buffer.concat(chunks).length} bytes`);
    assert.equal(answer.stdout_bytes, 600000);
    assert.deepEqual(Buffer.from(String(answer.stdout), 'base64'), Buffer.alloc(600000));
  });

  it('OUT-018 lets SIGTERM end a Portcullis whose reader stopped reading the answer', async () => {
    const { dir, child } = serveZerosThroughBundle();
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // Wait until the outcome is logged: from then on Portcullis is only writing its answer.
    const deadline = Date.now() + 10000;
    const outcomes = (): number => readAudit(join(dir, 'audit.jsonl')).filter((r) => r.event === 'outcome').length;
    while (outcomes() === 0 && Date.now() < deadline) await sleep(50);
    await sleep(200);
    child.kill('SIGTERM');
    const signal = await Promise.race([exited, sleep(3000).then(() => 'still running' as const)]);
    if (signal === 'still running') child.kill('SIGKILL');
    assert.equal(signal, 'SIGTERM', 'a reader that stops reading must not pin the process');
    assert.equal(outcomes(), 1, 'the outcome was logged before the answer');
  });
});

