import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { isAlive } from '../../testkit/process.js';
import { runAction } from '../../src/exec/index.js';
import { makeAttackHost } from '../../testkit/attack-config.js';
import { assertOutcome, ran, refused } from '../../testkit/attack-rows.js';
import { serveOnce } from '../../testkit/serve-once.js';
import { BUNDLE, parseSingleJsonLine } from '../../testkit/sshd.js';

describe('attack catalog: EXE (spawn, environment, timeout, process groups)', () => {
  const host = makeAttackHost('id = "attack-host"\nkill_grace = 1');

  it('EXE-001 gives the child no inherited variables: LD_PRELOAD, NODE_OPTIONS, SSH_*, HOME stay out', async () => {
    const result = await serveOnce(host.config, 'app env', {
      env: { LD_PRELOAD: '/tmp/evil.so', NODE_OPTIONS: '--require /tmp/evil.js', SSH_AUTH_SOCK: '/tmp/agent', HOME: '/root', BASH_ENV: '/tmp/x' },
    });
    const names = String(result.json?.stdout).trim().split('\n').map((line) => line.split('=')[0]).sort();
    assert.deepEqual(names, ['LANG', 'PATH', 'PORTCULLIS_ACTION', 'PORTCULLIS_DOMAIN', 'PORTCULLIS_IDENTITY', 'PORTCULLIS_LEVEL', 'PORTCULLIS_REQUEST_ID']);
  });

  it('EXE-002 runs no shell: shell syntax in a quoted value reaches argv as text', async () => {
    assertOutcome(await serveOnce(host.config, `app echo msg='$(touch /tmp/pwned); \`id\`'`), ran('$(touch /tmp/pwned); `id`|'));
  });

  it('EXE-003 kills a child that ignores SIGTERM after kill_grace and answers timeout (124)', async () => {
    const result = await serveOnce(host.config, 'app stubborn');
    assertOutcome(result, refused('timeout'));
    assert.equal(result.json?.signal, 'SIGKILL');
  });

  it('EXE-004 answers exec_failed (126) for a program that is not installed', async () => {
    assertOutcome(await serveOnce(host.config, 'app missing'), refused('exec_failed'));
  });

  it('EXE-005 maps a child exit code of 124 to 125, so a child cannot fake a timeout', async () => {
    const result = await serveOnce(host.config, 'app exit code=124');
    assert.equal(result.status, 125);
    assert.equal(result.json?.exit_code, 124);
    assert.equal(result.json?.error, undefined);
  });

  it('EXE-006 maps a child killed by a signal to 125 with the signal name', async () => {
    const result = await serveOnce(host.config, 'app selfkill');
    assert.equal(result.status, 125);
    assert.equal(result.json?.signal, 'SIGKILL');
  });

  it('EXE-007 gives an action without stdin /dev/null, never the caller\'s input', async () => {
    assertOutcome(await serveOnce(host.config, 'app readin', { stdin: 'caller data that must not leak' }), ran(''));
  });

  it('EXE-008 refuses stdin over max_bytes with input_too_large (133) and runs nothing', async () => {
    const before = host.audit().filter((r) => r.event === 'outcome').length;
    assertOutcome(await serveOnce(host.config, 'app upload', { stdin: 'x'.repeat(17) }), refused('input_too_large'));
    assert.equal(host.audit().filter((r) => r.event === 'outcome').length, before);
  });

  it('EXE-009 runs in the configured cwd, not the caller\'s', async () => {
    assertOutcome(await serveOnce(host.config, 'app pwd'), ran(`${host.root}\n`));
  });

  it('EXE-010 passes a value with spaces as one argv element, never split', async () => {
    assertOutcome(await serveOnce(host.config, "app echo msg='--x y'"), refused('bad_argument'));
    assertOutcome(await serveOnce(host.config, "app echo msg='x --y z'"), ran('x --y z|'));
  });

  it('EXE-011 terminates the action\'s group on SIGTERM to Portcullis and still writes the outcome (aborted)', async () => {
    // `patient` ignores SIGTERM and has a 30 s timeout: only the abort can end it quickly.
    const quick = makeAttackHost('id = "attack-host"\nkill_grace = 1');
    const started = Date.now();
    const child = spawn(BUNDLE, ['--level', 'read'], {
      env: { PATH: '/usr/bin:/bin', PORTCULLIS_CONFIG: quick.config, SSH_ORIGINAL_COMMAND: 'app patient' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    // Signal only once the action is running: its decision record is written just before.
    for (let i = 0; i < 100 && !quick.audit().some((r) => r.event === 'decision'); i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    const status = await new Promise<number | null>((r) => child.on('close', r));
    const answer = parseSingleJsonLine(stdout);
    assert.equal(status, 125);
    assert.ok(Date.now() - started < 10000, 'the action ran on until its timeout');
    const outcome = quick.audit().find((r) => r.request_id === answer?.request_id && r.event === 'outcome');
    assert.equal(outcome?.error, 'aborted');
    assert.equal(answer?.error, undefined, 'an abort is not reported as a timeout');
    const pid = Number(String(answer?.stdout).trim());
    assert.ok(pid > 1, 'the action did not print its pid');
    assert.ok(!isAlive(pid), `action ${pid} survived`);
  });

  it('EXE-012 keeps NODE_V8_COVERAGE out of the child, although Node\'s spawn copies it', async () => {
    const coverage = makeAttackHost().dir;
    const child = spawnSync(BUNDLE, ['--level', 'read'], {
      env: { PATH: '/usr/bin:/bin', PORTCULLIS_CONFIG: host.config, SSH_ORIGINAL_COMMAND: 'app env', NODE_V8_COVERAGE: coverage },
      encoding: 'utf8',
    });
    const answer = parseSingleJsonLine(child.stdout);
    assert.equal(answer?.ok, true);
    assert.ok(!String(answer?.stdout).includes('NODE_V8_COVERAGE'));
  });

  it('EXE-013 answers at once, with its exit code, when an escaped process holds the pipes', async () => {
    const result = await runAction(
      { file: '/bin/sh', args: ['-c', 'setsid sleep 5 & echo $!; sleep 0.1'], env: { PATH: '/usr/bin:/bin' }, cwd: '/', timeoutMs: 2000, maxOutputBytes: 1000 },
      { stdin: null, killGraceMs: 100, abort: new AbortController().signal },
    );
    const escaped = Number(result.stdout.kept.toString().trim());
    if (escaped > 1) process.kill(escaped, 'SIGKILL');
    assert.equal(result.exitCode, 0);
    assert.equal(result.timedOut, false);
    assert.ok(result.durationMs < 1500, `the answer waited ${result.durationMs} ms for the escaped process`);
  });

  it('EXE-022 a raw action whose reader stopped reading still ends at its timeout, and at a stop signal, with its outcome', { timeout: 30000 }, async () => {
    // A sink that is always full and never drains: a client that stopped reading for good.
    const stuck = () => ({ write: () => false, onceDrained: () => undefined, onGone: () => undefined, flushed: () => new Promise<void>(() => undefined), readerGone: false });
    const plan = { file: '/bin/cat', args: ['/dev/zero'], env: { PATH: '/usr/bin:/bin' }, cwd: '/', timeoutMs: 500, maxOutputBytes: 1000 };
    const started = Date.now();
    const timedOut = await Promise.race([
      runAction(plan, { stdin: null, killGraceMs: 100, abort: new AbortController().signal, rawStdout: { sink: stuck(), maxBytes: 1 << 30 } }),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 10000)),
    ]);
    assert.ok(timedOut !== null, 'the timeout never ended a raw action whose reader stopped');
    assert.equal(timedOut.outcome, 'timeout');
    assert.ok(Date.now() - started < 5000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const aborted = await Promise.race([
      runAction({ ...plan, timeoutMs: 60000 }, { stdin: null, killGraceMs: 100, abort: controller.signal, rawStdout: { sink: stuck(), maxBytes: 1 << 30 } }),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 10000)),
    ]);
    assert.ok(aborted !== null, 'a stop signal never ended a raw action whose reader stopped');
    assert.equal(aborted.outcome, 'aborted');
  });

  it('EXE-014 never turns an action that exited just before its deadline into a timeout', async () => {
    const result = await runAction(
      { file: '/bin/sh', args: ['-c', 'setsid sleep 3 & echo $!; sleep 0.25'], env: { PATH: '/usr/bin:/bin' }, cwd: '/', timeoutMs: 300, maxOutputBytes: 1000 },
      { stdin: null, killGraceMs: 100, abort: new AbortController().signal },
    );
    const escaped = Number(result.stdout.kept.toString().trim());
    if (escaped > 1) process.kill(escaped, 'SIGKILL');
    // If the machine was slow and the deadline came first, the shell was killed: no exit code.
    assert.ok(!(result.exitCode === 0 && result.timedOut), 'an action that exited 0 in time was called a timeout');
  });
});

