import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomFillSync } from 'node:crypto';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isAlive } from '../testkit/process.js';
import { BUNDLE, SshdHarness } from '../testkit/sshd.js';
import { PipeSessionClient } from '../testkit/session-pipe.js';
import { makeFixture, type E2eFixture } from './fixture.js';

/** Raw output through a real sshd and the real ssh client (docs/protocol.md §13). */
let sshd: SshdHarness;
let fx: E2eFixture;

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const BIG = 200 * 1024 * 1024;
const CAP = 100_000;

before(async () => {
  fx = makeFixture('', '[server.session]\nenabled = true');
  // 200 MiB of random bytes, written once: the download must come back byte for byte.
  const big = openSync(join(fx.dir, 'big.bin'), 'w', 0o644);
  const block = Buffer.alloc(8 * 1024 * 1024);
  for (let written = 0; written < BIG; written += block.length) writeSync(big, randomFillSync(block));
  closeSync(big);
  const every = Buffer.alloc(256 * 64);
  for (let i = 0; i < every.length; i++) every[i] = i % 256;
  appendFileSync(join(fx.dir, 'every.bin'), every);
  appendFileSync(fx.configPath, `
[domains.dl]
description = "Downloads"
[domains.dl.actions.big]
description = "200 MiB of random bytes"
level = "read"
output = "raw"
exec = ["/bin/cat", "${fx.dir}/big.bin"]
[domains.dl.actions.every]
description = "Every byte value, 64 times"
level = "read"
output = "raw"
exec = ["/bin/sh", "-c", "cat ${fx.dir}/every.bin; echo 'a warning' >&2"]
[domains.dl.actions.capped]
description = "n random bytes under a cap of ${CAP}"
level = "read"
output = "raw"
raw_max_bytes = ${CAP}
exec = ["/usr/bin/head", "-c", "{n}", "/dev/urandom"]
[domains.dl.actions.capped.args.n]
type = "int"
[domains.dl.actions.endless]
description = "Zeros until stopped; its pid in a file named by the caller"
level = "read"
output = "raw"
exec = ["/bin/sh", "-c", "echo $$ > ${fx.dir}/$0.pid; exec cat /dev/zero", "{name}"]
[domains.dl.actions.endless.args.name]
type = "enum"
values = ["gone", "paused"]
[domains.dl.actions.stuck]
description = "Zeros until its timeout; its pid in a file"
level = "read"
output = "raw"
timeout = 2
exec = ["/bin/sh", "-c", "echo $$ > ${fx.dir}/slow.pid; exec cat /dev/zero"]
[domains.dl.actions.stalls]
description = "Some bytes, then hangs past its timeout"
level = "read"
output = "raw"
timeout = 1
exec = ["/bin/sh", "-c", "head -c 70000 /dev/zero; sleep 30"]
[domains.dl.actions.upper]
description = "Upload and download in one: the input in upper case"
level = "read"
output = "raw"
stdin = { max_bytes = 10000000 }
exec = ["/usr/bin/tr", "a-z", "A-Z"]
[domains.db]
description = "The recipe's domain"
[domains.db.actions.dump]
description = "As many random bytes as dump.size says"
level = "read"
output = "raw"
raw_max_bytes = ${CAP}
exec = ["/bin/sh", "-c", "head -c $(cat ${fx.dir}/dump.size) /dev/urandom"]
[domains.dl.actions.admin]
description = "Raw, but for admins"
level = "admin"
output = "raw"
exec = ["/bin/echo", "secret"]
`);
  sshd = await SshdHarness.start([{ name: 'reader', options: `restrict,command="${fx.command('--level read --identity reader')}"` }]);
  // `ssh` for the recipe: the real client, pointed at the test sshd, `svc@host` mapped to its account.
  mkdirSync(join(fx.dir, 'bin'));
  writeFileSync(join(fx.dir, 'bin', 'ssh'), `#!/bin/sh
for a; do shift; [ "$a" = svc@host ] && a=root@127.0.0.1; set -- "$@" "$a"; done
exec /usr/bin/ssh ${sshd.sshArgs('reader', null).slice(0, -1).join(' ')} "$@"
`, { mode: 0o755 });
});

/** The bash recipe from docs/protocol.md, as written there. */
function recipe(): string {
  const doc = readFileSync(resolve(__dirname, '..', '..', 'docs', 'protocol.md'), 'utf8');
  const match = /<!-- recipe:raw-download -->\n```bash\n([\s\S]*?)```/.exec(doc);
  assert.ok(match?.[1], 'the recipe is missing from docs/protocol.md');
  return match[1];
}

after(async () => {
  await sshd.stop();
  fx.cleanup();
});

interface RawRun {
  readonly status: number | null;
  readonly bytes: number;
  readonly sha256: string;
  readonly head: Buffer;
  readonly stderr: string;
  readonly answer: Record<string, any> | null;
}

/** Runs `ssh -T -n host REQUEST`, hashing stdout as it comes; `reader` may slow the reading down. */
function rawDownload(request: string, options: { stdin?: Buffer; onStart?: (stdout: NodeJS.ReadableStream, ssh: ChildProcess) => void } = {}): Promise<RawRun> {
  const args = sshd.sshArgs('reader', request, options.stdin === undefined ? ['-T', '-n'] : ['-T']);
  const child = spawn('ssh', args, { stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  const { stdout, stderr: errors } = child;
  if (stdout === null || errors === null) throw new Error('ssh was spawned without pipes');
  const hash = createHash('sha256');
  let bytes = 0;
  const head: Buffer[] = [];
  let stderr = '';
  stdout.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    if (bytes < 1 << 20) head.push(chunk);
    bytes += chunk.length;
  });
  errors.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  options.onStart?.(stdout, child);
  return new Promise((resolve) => child.on('close', (status) => {
    const lines = stderr.split('\n').filter((l) => l !== '');
    resolve({ status, bytes, sha256: hash.digest('hex'), head: Buffer.concat(head), stderr, answer: lines.length === 1 ? JSON.parse(lines[0] as string) : null });
  }));
}

function outcomeOf(requestId: string): Record<string, any> | undefined {
  return fx.auditRecords().find((r) => r.event === 'outcome' && r.request_id === requestId);
}

async function decisionFor(request: string): Promise<Record<string, any>> {
  for (let i = 0; i < 300; i++, await sleep(50)) {
    const found = fx.auditRecords().find((r) => r.event === 'decision' && r.request === request);
    if (found !== undefined) return found;
  }
  throw new Error(`no decision for ${request}`);
}

async function readPid(name: string): Promise<number> {
  for (let i = 0; i < 300; i++, await sleep(50)) {
    try {
      const pid = Number(readFileSync(join(fx.dir, `${name}.pid`), 'utf8').trim());
      if (pid > 0) return pid;
    } catch {
      // Not written yet.
    }
  }
  throw new Error(`no pid file ${name}`);
}

function kib(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

describe('attack catalog: RAW (raw output through a real sshd)', () => {
  it('RAW-001 downloads 200 MiB of random bytes whose SHA-256 equals the answer\'s and the audit\'s; the answer is the only line on stderr', async () => {
    const run = await rawDownload('dl big');
    const expected = sha256(readFileSync(join(fx.dir, 'big.bin')));
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.bytes, BIG);
    assert.equal(run.sha256, expected);
    assert.ok(run.answer !== null, `stderr is not one JSON line: ${run.stderr.slice(0, 300)}`);
    assert.deepEqual([run.answer.ok, run.answer.stdout, run.answer.stdout_encoding, run.answer.stdout_bytes, run.answer.stdout_sha256], [true, null, 'raw', BIG, expected]);
    assert.equal(outcomeOf(run.answer.request_id)?.stdout_sha256, expected);
  });

  it('RAW-002 passes every byte value through unchanged, and keeps the child\'s stderr inside the answer', async () => {
    const run = await rawDownload('dl every');
    const every = readFileSync(join(fx.dir, 'every.bin'));
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.head.equals(every), 'the bytes differ');
    assert.equal(run.answer?.stderr, 'a warning\n');
    assert.equal(run.answer?.stdout_sha256, sha256(every));
  });

  it('RAW-003 keeps the server\'s memory bounded while the client does not read: the child is paused, not buffered', async () => {
    let client: ChildProcess | null = null;
    const running = rawDownload('dl endless name=paused', { onStart: (stdout, ssh) => ((client = ssh), stdout.pause()) });
    const decision = await decisionFor('dl endless name=paused');
    const child = await readPid('paused');
    const idle = kib(decision.pid, 'VmRSS');
    const written = (): number => Number(/^wchar:\s+(\d+)/m.exec(readFileSync(`/proc/${child}/io`, 'utf8'))?.[1]);
    try {
      // Seconds of a producer at full speed against a reader that takes nothing.
      await sleep(3000);
      const peak = kib(decision.pid, 'VmHWM');
      const before = written();
      await sleep(1000);
      assert.equal(written(), before, 'the child kept writing: nothing paused it');
      // Measured: a serving bundle's VmHWM stays within about 10 MiB of its idle RSS here.
      assert.ok(peak - idle < 20 * 1024, `VmHWM ${peak} KiB against an idle ${idle} KiB`);
    } finally {
      (client as ChildProcess | null)?.kill('SIGKILL');
      process.kill(child, 'SIGKILL');
      await running;
    }
  });

  it('RAW-004 stops the group and records aborted when the client goes away mid-download', async () => {
    const client = spawn('ssh', sshd.sshArgs('reader', 'dl endless name=gone', ['-T', '-n']), { stdio: ['ignore', 'pipe', 'ignore'] });
    let got = 0;
    client.stdout.on('data', (chunk: Buffer) => (got += chunk.length));
    const decision = await decisionFor('dl endless name=gone');
    const child = await readPid('gone');
    for (let i = 0; i < 1500 && got < 10 * 1024 * 1024; i++) await sleep(20);
    assert.ok(got >= 10 * 1024 * 1024, `only ${got} bytes arrived`);
    client.kill('SIGKILL');
    let outcome: Record<string, any> | undefined;
    for (let i = 0; i < 100 && outcome === undefined; i++, await sleep(100)) outcome = outcomeOf(decision.request_id);
    assert.equal(outcome?.error, 'aborted', JSON.stringify(outcome));
    assert.equal(isAlive(child), false, 'the action outlived its reader');
  });

  it('RAW-005 delivers exactly raw_max_bytes with ok true, and answers output_too_large (133) one byte past it, having sent only the cap', async () => {
    const exact = await rawDownload(`dl capped n=${CAP}`);
    assert.deepEqual([exact.status, exact.bytes, exact.answer?.ok, exact.answer?.stdout_bytes, exact.answer?.stdout_truncated], [0, CAP, true, CAP, false]);
    assert.equal(exact.answer?.stdout_sha256, exact.sha256);
    const over = await rawDownload(`dl capped n=${CAP + 1}`);
    assert.deepEqual([over.status, over.bytes, over.answer?.ok, over.answer?.error?.code, over.answer?.stdout_truncated], [133, CAP, false, 'output_too_large', true]);
    assert.equal(over.answer?.stdout_sha256, over.sha256);
    assert.equal(outcomeOf(over.answer?.request_id)?.error, 'output_too_large');
  });

  it('RAW-006 times out mid-stream: what was sent is counted, the answer is timeout (124) on stderr', async () => {
    const run = await rawDownload('dl stalls');
    assert.deepEqual([run.status, run.bytes, run.answer?.error?.code, run.answer?.stdout_bytes], [124, 70000, 'timeout', 70000]);
    assert.equal(run.answer?.stdout_sha256, run.sha256);
  });

  it('RAW-007 fires the timeout while a reader that takes nothing holds the child paused', async () => {
    let stdout: NodeJS.ReadableStream | null = null;
    const started = Date.now();
    const running = rawDownload('dl stuck', { onStart: (s) => ((stdout = s), s.pause()) });
    const child = await readPid('slow');
    for (let i = 0; i < 100 && isAlive(child); i++) await sleep(100);
    assert.equal(isAlive(child), false, 'the timeout did not stop a paused action');
    // Timeout 2 s and kill_grace 1 s, plus the connection's set-up on a busy machine.
    assert.ok(Date.now() - started < 20000);
    // INVARIANT: onStart ran synchronously inside rawDownload.
    (stdout as unknown as NodeJS.ReadableStream).resume();
    const run = await running;
    assert.deepEqual([run.status, run.answer?.error?.code], [124, 'timeout']);
  });

  it('RAW-008 writes a refusal of a raw action on stderr and nothing on stdout; an unknown action answers on stdout', async () => {
    for (const [request, code, status] of [['dl capped n=x', 'bad_argument', 128], ['dl admin', 'insufficient_level', 131]] as const) {
      const run = await rawDownload(request);
      assert.equal(run.bytes, 0, `${request}: stdout is not empty`);
      assert.deepEqual([run.status, run.answer?.error?.code], [status, code]);
    }
    const unknown = await sshd.ssh('reader', 'dl nothing');
    assert.equal(unknown.json?.error?.code, 'unknown_action');
  });

  it('RAW-009 uploads through stdin and downloads the result in the same action', async () => {
    const input = Buffer.from('hello raw world\n'.repeat(200_000));
    const run = await rawDownload('dl upper', { stdin: input });
    const expected = Buffer.from(input.toString('latin1').toUpperCase(), 'latin1');
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.sha256, sha256(expected));
    assert.equal(run.answer?.stdout_bytes, expected.length);
  });

  it('RAW-010 refuses a raw action inside a session (bad_request, "raw output is one-shot"); the session goes on', async () => {
    const child = spawn(BUNDLE, ['--config', fx.configPath, '--level', 'read'], { env: { ...process.env, SSH_ORIGINAL_COMMAND: 'session' }, stdio: ['pipe', 'pipe', 'ignore'] });
    const { client } = await PipeSessionClient.open(child);
    client.send({ id: '1', request: 'dl every' });
    const refused = await client.next();
    assert.deepEqual([refused.id, refused.ok, refused.error?.code], ['1', false, 'bad_request']);
    assert.match(refused.error?.message, /one-shot/);
    client.send({ id: '2', request: 't echo msg=still' });
    assert.equal((await client.next()).stdout, 'still\n');
    child.stdin.end();
    await new Promise((r) => child.on('close', r));
  });

  it('RAW-011 the download recipe of docs/protocol.md keeps a whole download and rejects a cut one', () => {
    const work = join(fx.dir, 'recipe');
    mkdirSync(work);
    const run = (size: number) => {
      writeFileSync(join(fx.dir, 'dump.size'), String(size));
      return spawnSync('bash', ['-c', recipe()], { cwd: work, encoding: 'utf8', timeout: 60000, env: { PATH: `${fx.dir}/bin:/usr/bin:/bin` } });
    };
    const whole = run(5000);
    assert.equal(whole.status, 0, whole.stderr);
    assert.equal(readFileSync(join(work, 'dump.gz')).length, 5000);
    const cut = run(CAP + 1);
    assert.equal(cut.status, 1);
    assert.match(cut.stderr, /download failed \(exit 133\)/);
    assert.equal(existsSync(join(work, 'dump.gz')), false, 'the cut download was kept');
  });
});
