import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../testkit/process.js';
import { BUNDLE, SshdHarness } from '../testkit/sshd.js';
import { compiledPathFor } from '../src/config/index.js';
import { fingerprintOf, makeFixture, type E2eFixture } from './fixture.js';

let sshd: SshdHarness;
let fx: E2eFixture;

before(async () => {
  fx = makeFixture();
  sshd = await SshdHarness.start([
    { name: 'reader', options: `restrict,command="${fx.command('--level read --identity reader')}"` },
    { name: 'operator', options: `restrict,command="${fx.command('--level ops --identity operator')}"` },
    { name: 'admin', options: `restrict,command="${fx.command('--level admin --identity admin')}"` },
    { name: 'billing', options: `restrict,command="${fx.command('--level read --tags billing --identity billing')}"` },
    { name: 'broken', options: `restrict,command="${fx.command('--level root')}"` },
    { name: 'noconfig', options: `restrict,command="${fx.command('').replace(fx.configPath, '/nonexistent/config.toml')}"` },
  ]);
});

after(async () => {
  await sshd.stop();
  fx.cleanup();
});


describe('e2e: allowed actions through a real sshd', () => {
  it('runs an action with arguments and answers one JSON line, exit 0', async () => {
    const r = await sshd.ssh('reader', "t echo msg='hello; world'");
    assert.equal(r.status, 0);
    assert.equal(r.json?.ok, true);
    assert.equal(r.json?.stdout, 'hello; world\n');
    assert.equal(r.json?.exit_code, 0);
    assert.equal(r.json?.v, 1);
    assert.equal(r.stderr, '');
  });

  it('writes a decision and an outcome record with the key fingerprint from ExposeAuthInfo', async () => {
    const r = await sshd.ssh('reader', 't echo msg=audited secret=hunter2');
    const records = fx.auditRecords().filter((rec) => rec.request_id === r.json?.request_id);
    assert.deepEqual(records.map((rec) => rec.event), ['decision', 'outcome']);
    const [decision, outcome] = records;
    assert.equal(decision?.decision, 'allow');
    assert.equal(decision?.identity, 'reader');
    assert.equal(decision?.key, fingerprintOf(join(sshd.dir, 'client_reader.pub')));
    assert.match(String(decision?.client), /^127\.0\.0\.1 \d+$/);
    assert.equal(decision?.args.secret, '***');
    assert.equal(decision?.request, 't echo msg=audited secret=***');
    assert.equal(outcome?.exit_code, 0);
    assert.equal(outcome?.stdout_bytes, 8);
    assert.match(String(outcome?.stdout_sha256), /^[0-9a-f]{64}$/);
    assert.ok(!JSON.stringify(records).includes('hunter2'));
  });

  it('passes a child exit code through and keeps its stderr in the JSON', async () => {
    const r = await sshd.ssh('reader', 't fail');
    assert.equal(r.status, 3);
    assert.equal(r.json?.ok, false);
    assert.equal(r.json?.exit_code, 3);
    assert.equal(r.json?.stderr, 'oops\n');
    assert.equal(r.stderr, '', 'a child that merely fails adds no portcullis line');
  });

  it('gives the child exactly the configured environment', async () => {
    const r = await sshd.ssh('reader', 't env');
    const names = String(r.json?.stdout).trim().split('\n').map((line) => line.split('=')[0]).sort();
    assert.deepEqual(names, ['GREETING', 'LANG', 'PATH', 'PORTCULLIS_ACTION', 'PORTCULLIS_DOMAIN', 'PORTCULLIS_IDENTITY', 'PORTCULLIS_LEVEL', 'PORTCULLIS_REQUEST_ID']);
    assert.match(String(r.json?.stdout), /^GREETING=hello reader$/m);
    assert.match(String(r.json?.stdout), new RegExp(`^PORTCULLIS_REQUEST_ID=${r.json?.request_id}$`, 'm'));
  });

  it('returns bytes that are not UTF-8 as base64', async () => {
    const r = await sshd.ssh('reader', 't binary');
    assert.equal(r.json?.stdout_encoding, 'base64');
    assert.deepEqual(Buffer.from(String(r.json?.stdout), 'base64'), Buffer.from([0xff, 0xfe, 0x6f, 0x6b]));
  });

  it('caps large output on both streams and counts what was dropped', async () => {
    const r = await sshd.ssh('reader', 't big');
    assert.equal(r.json?.stdout_bytes, 3000000);
    assert.equal(r.json?.stdout_truncated, true);
    assert.equal(String(r.json?.stdout).length, 4096);
    assert.equal(r.json?.stderr_bytes, 5000);
    assert.equal(r.json?.stderr_truncated, true);
  });

  it('pipes stdin to an action that declares it', async () => {
    const r = await sshd.ssh('operator', 't cat', { stdin: 'settings = 1\n' });
    assert.equal(r.json?.stdout, 'settings = 1\n');
    const outcome = fx.auditRecords().find((rec) => rec.request_id === r.json?.request_id && rec.event === 'outcome');
    assert.equal(outcome?.stdin_bytes, 13);
  });

  it('refuses stdin over the limit with input_too_large and runs nothing (133)', async () => {
    const r = await sshd.ssh('operator', 't cat', { stdin: Buffer.alloc(2000, 0x61) });
    assert.equal(r.status, 133);
    assert.equal(r.json?.error?.code, 'input_too_large');
    assert.ok(!fx.auditRecords().some((rec) => rec.request_id === r.json?.request_id && rec.event === 'outcome'));
  });

  it('resolves a path argument under its root', async () => {
    const r = await sshd.ssh('reader', 't tail file=app.log');
    assert.equal(r.json?.stdout, 'line two\n');
  });
});

describe('e2e: refusals, each with its code and exit status', () => {
  const cases: Array<[string, string, string, string, number]> = [
    ['unknown domain', 'reader', 'nope run', 'unknown_domain', 128],
    ['unknown action', 'reader', 't nope', 'unknown_action', 128],
    ['bad argument', 'reader', 't sleep seconds=abc', 'bad_argument', 128],
    ['insufficient level', 'reader', 't ops', 'insufficient_level', 131],
    ['bad request (metacharacter)', 'reader', 't echo msg=a;id', 'bad_request', 132],
    ['bad serve options', 'broken', 't echo msg=x', 'service_unavailable', 129],
    ['missing config', 'noconfig', 't echo msg=x', 'service_unavailable', 129],
    ['missing program', 'reader', 't missing', 'exec_failed', 126],
    ['malformed proof', 'reader', '+token=bot t echo msg=x', 'auth_failed', 131],
  ];
  for (const [name, key, request, code, status] of cases) {
    it(`${name}: ${code}, exit ${status}, one JSON line and one stderr line`, async () => {
      const r = await sshd.ssh(key, request);
      assert.equal(r.status, status);
      assert.equal(r.json?.ok, false);
      assert.equal(r.json?.error?.code, code);
      assert.equal(r.stderr, `portcullis: ${code}: ${r.json?.error?.message}\n`);
    });
  }

  it('says no command given, with the help hint, when ssh sends none', async () => {
    const r = await sshd.ssh('reader', null, { extraArgs: ['-T'] });
    assert.equal(r.status, 132);
    assert.equal(r.json?.error?.code, 'bad_request');
    assert.equal(r.json?.error?.hint, 'no command given; try: ssh <host> help (many requests: ssh -T <host> session)');
  });

  it('a value whose quotes the local shell removed gets the whole request as one quoted argument', async () => {
    const r = await sshd.sshFromShell('reader', 't echo msg="hotfix for login"');
    assert.equal(r.status, 132);
    assert.equal(r.json?.error?.code, 'bad_request');
    assert.match(String(r.json?.error?.hint), /local shell removed the quotes/);
    assert.ok(String(r.json?.error?.hint).endsWith(`ssh <host> 't echo msg="hotfix for login"'`), String(r.json?.error?.hint));
    const fixed = await sshd.sshFromShell('reader', `'t echo msg="hotfix for login"'`);
    assert.equal(fixed.json?.stdout, 'hotfix for login\n', 'the suggested form works');
  });

  it('names the required level and nothing about arguments', async () => {
    const r = await sshd.ssh('reader', 't admin');
    assert.equal(r.json?.error?.required_level, 'admin');
    assert.deepEqual(Object.keys(r.json?.error ?? {}).sort(), ['code', 'message', 'required_level']);
  });

  it('gives no server detail in service_unavailable', async () => {
    const r = await sshd.ssh('noconfig', 'help');
    assert.equal(r.json?.error?.message, 'service unavailable');
    assert.equal(r.json?.error?.detail, undefined);
    assert.ok(!r.stdout.includes('nonexistent') && !r.stderr.includes('nonexistent'));
  });

  it('hides a tagged domain exactly like one that does not exist', async () => {
    const hidden = await sshd.ssh('reader', 'billing report');
    const absent = await sshd.ssh('reader', 'billingx report');
    assert.equal(hidden.json?.error?.code, 'unknown_domain');
    assert.equal(hidden.json?.error?.message.replace('billing', 'X'), absent.json?.error?.message.replace('billingx', 'X'));
    const tenant = await sshd.ssh('billing', 'billing report');
    assert.equal(tenant.json?.stdout, 'revenue: 42\n');
  });
});

describe('e2e: timeouts and process groups', () => {
  it('kills a child that ignores SIGTERM after the grace, answers timeout (124) with partial output', async () => {
    const r = await sshd.ssh('reader', 't stubborn');
    assert.equal(r.status, 124);
    assert.equal(r.json?.error?.code, 'timeout');
    assert.equal(r.json?.signal, 'SIGKILL');
    assert.equal(r.json?.exit_code, null);
    const outcome = fx.auditRecords().find((rec) => rec.request_id === r.json?.request_id && rec.event === 'outcome');
    assert.equal(outcome?.error, 'timeout');
  });

  it('kills a grandchild left in the group when the main process exits', async () => {
    const r = await sshd.ssh('reader', 't orphan');
    const pid = Number(String(r.json?.stdout).trim());
    assert.ok(pid > 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(isAlive(pid), false, `grandchild ${pid} survived`);
  });

  it('answers at once even when an escaped process still holds the pipes', async () => {
    const started = Date.now();
    const r = await sshd.ssh('reader', 't escape', { timeoutMs: 25000 });
    const escaped = Number(String(r.json?.stdout).trim());
    if (escaped > 1) process.kill(escaped, 'SIGKILL');
    assert.ok(escaped > 1, 'no pid printed');
    assert.equal(r.json?.exit_code, 0);
    assert.ok(Date.now() - started < 20000, 'the answer waited for the escaped sleep');
  });
});

describe('e2e: discovery built-ins', () => {
  it('help shows only visible actions', async () => {
    const r = await sshd.ssh('reader', 'help');
    const names = (r.json?.domains as Array<{ name: string; actions: Array<{ name: string }> }>).flatMap((d) => d.actions.map((a) => `${d.name} ${a.name}`));
    assert.ok(names.includes('t echo'));
    assert.ok(!names.includes('t ops') && !names.includes('t admin') && !names.includes('billing report'));
  });
  it('help on a domain with nothing visible is unknown_domain', async () => {
    const r = await sshd.ssh('reader', 'help billing');
    assert.equal(r.json?.error?.code, 'unknown_domain');
  });
  it('list renders one line per visible action with argument shapes', async () => {
    const r = await sshd.ssh('operator', 'list');
    assert.ok((r.json?.actions as string[]).includes('t sleep seconds=<int>'));
    assert.ok((r.json?.actions as string[]).includes('t ops'));
  });
  it('whoami reports identity, level, tags and client', async () => {
    const r = await sshd.ssh('billing', 'whoami');
    assert.equal(r.json?.identity, 'billing');
    assert.equal(r.json?.level, 'read');
    assert.deepEqual(r.json?.tags, ['billing']);
    assert.equal(r.json?.token, null);
  });
});

describe('e2e: concurrency', () => {
  it('40 parallel calls: 40 answers, every audit line parseable and complete', async () => {
    const before = fx.auditRecords().length;
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => sshd.ssh('reader', `t echo msg=call-${i}`)));
    for (const [i, r] of results.entries()) assert.equal(r.json?.stdout, `call-${i}\n`);
    const records = fx.auditRecords().slice(before);
    assert.equal(records.length, 80);
    const ids = new Set(results.map((r) => r.json?.request_id));
    for (const id of ids) assert.deepEqual(records.filter((rec) => rec.request_id === id).map((rec) => rec.event), ['decision', 'outcome']);
  });
});

describe('e2e: the compiled config through the real bundle', () => {
  it('serves from the compiled form after check --compile, and from the source again once it is edited', async () => {
    spawnSync(BUNDLE, ['check', '--config', fx.configPath, '--compile'], { stdio: 'ignore' });
    const compiled = compiledPathFor(fx.configPath);
    assert.ok(existsSync(compiled));
    const original = readFileSync(fx.configPath, 'utf8');
    try {
      // Marks the compiled form, so the answer shows which one served the call.
      writeFileSync(compiled, readFileSync(compiled, 'utf8').replaceAll('config-A', 'config-compiled'));
      assert.equal((await sshd.ssh('reader', 't which')).json?.stdout, 'config-compiled\n');
      writeFileSync(fx.configPath, original.replace('"config-A"', '"config-A2"'));
      assert.equal((await sshd.ssh('reader', 't which')).json?.stdout, 'config-A2\n');
    } finally {
      writeFileSync(fx.configPath, original);
      rmSync(compiled, { force: true });
    }
  });
});

