import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, readAudit } from '../testkit/process.js';
import { BUNDLE, SshdHarness, runProcess } from '../testkit/sshd.js';
import { makeFixture, type E2eFixture } from './fixture.js';

let sshd: SshdHarness;
let fx: E2eFixture;
let evilConfig: string;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));


async function until<T>(probe: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  for (const start = Date.now(); Date.now() - start < timeoutMs; await sleep(50)) {
    const value = probe();
    if (value !== undefined) return value;
  }
  return undefined;
}

/** Starts `t sleep seconds=N` and returns the ssh client and Portcullis's pid from its decision record. */
async function startSleeper(seconds: number): Promise<{ client: ReturnType<typeof spawn>; portcullisPid: number; sleepPid: number }> {
  const before = fx.auditRecords().length;
  const client = spawn('ssh', sshArgs('reader', `t sleep seconds=${seconds}`), { stdio: 'ignore' });
  const decision = await until(() => fx.auditRecords().slice(before).find((r) => r.event === 'decision' && r.request === `t sleep seconds=${seconds}`), 10000);
  assert.ok(decision, 'no decision record');
  const sleepPid = await until(() => {
    // pgrep exits 1 when nothing matches yet: keep waiting. Only children of this Portcullis count.
    const found = spawnSync('pgrep', ['-P', String(decision.pid), '-f', `^/bin/sleep ${seconds}$`], { encoding: 'utf8' });
    const pid = Number(found.stdout.trim().split('\n')[0]);
    return found.status === 0 && pid > 1 ? pid : undefined;
  }, 5000);
  assert.ok(sleepPid, 'the action did not start');
  return { client, portcullisPid: Number(decision.pid), sleepPid };
}

function sshArgs(key: string, command: string): string[] {
  return ['-F', '/dev/null', '-i', join(sshd.dir, `client_${key}`), '-p', String(sshd.port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', 'root@127.0.0.1', '--', command];
}

before(async () => {
  fx = makeFixture();
  evilConfig = join(fx.dir, 'evil.toml');
  writeFileSync(evilConfig, readFileSync(fx.configPath, 'utf8').replace('"config-A"', '"evil config used"'), { mode: 0o600 });
  mkdirSync(join(fx.dir, 'empty-etc'));
  const fullDisk = join(fx.dir, 'full-disk.toml');
  writeFileSync(fullDisk, readFileSync(fx.configPath, 'utf8').replace(/audit_log = "[^"]+"/, 'audit_log = "/dev/full"'), { mode: 0o600 });
  const noLogDir = join(fx.dir, 'no-log-dir.toml');
  writeFileSync(noLogDir, readFileSync(fx.configPath, 'utf8').replace(/audit_log = "[^"]+"/, `audit_log = "${fx.dir}"`), { mode: 0o600 });
  sshd = await SshdHarness.start(
    [
      { name: 'reader', options: `restrict,command="${fx.command('--level read --identity reader')}"` },
      { name: 'measured', options: `restrict,command="/usr/bin/time -o ${fx.dir}/rss -f %M ${fx.command('--level read')}"` },
      { name: 'fulldisk', options: `restrict,command="${BUNDLE} --config ${fullDisk} --level read"` },
      { name: 'dirlog', options: `restrict,command="${BUNDLE} --config ${noLogDir} --level read"` },
      // Hermetic: the default config path is hidden behind an empty directory in a private
      // mount namespace, so a host where Portcullis is installed is neither read nor logged to.
      { name: 'defaultconfig', options: `restrict,command="unshare -m /bin/sh -c 'if [ -d /etc/portcullis ]; then mount --bind ${fx.dir}/empty-etc /etc/portcullis || exit 97; fi; exec ${BUNDLE} --level read'"` },
      { name: 'pty', options: `command="${fx.command('--level read')}"` },
    ],
    'AcceptEnv PORTCULLIS_CONFIG LC_*',
  );
});

after(async () => {
  await sshd.stop();
  fx.cleanup();
});

describe('attack catalog: REL (robustness through a real sshd)', () => {
  it('REL-001 serves 200 concurrent requests: 200 JSON answers and exactly 400 parseable audit lines', async () => {
    const before = fx.auditRecords().length;
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => sshd.ssh('reader', `t echo msg=n${i}`, { timeoutMs: 120000 })));
    assert.equal(results.filter((r, i) => r.json?.stdout === `n${i}\n` && r.status === 0).length, 200);
    const text = readFileSync(fx.auditPath, 'utf8').split('\n').filter(Boolean).slice(before);
    assert.equal(text.length, 400);
    const ids = new Map<string, string[]>();
    for (const line of text) {
      const record = JSON.parse(line) as { request_id: string; event: string };
      ids.set(record.request_id, [...(ids.get(record.request_id) ?? []), record.event]);
    }
    assert.equal(ids.size, 200);
    for (const events of ids.values()) assert.deepEqual(events, ['decision', 'outcome']);
  });

  it('REL-002 leaves no orphan when Portcullis is killed with SIGKILL mid-action; the decision record is there', async () => {
    const { client, portcullisPid, sleepPid } = await startSleeper(41);
    // The guard exists from the start (docs/adr/0017); the wait only lets the action settle.
    await sleep(300);
    process.kill(portcullisPid, 'SIGKILL');
    await new Promise((r) => client.on('close', r));
    assert.equal(await until(() => (isAlive(sleepPid) ? undefined : true), 5000), true, `action ${sleepPid} survived its Portcullis`);
  });

  it('REL-003 terminates the group and records "aborted" when the client disconnects mid-action', async () => {
    const { client, sleepPid } = await startSleeper(42);
    client.kill('SIGKILL');
    const outcome = await until(() => fx.auditRecords().find((r) => r.event === 'outcome' && r.request === 't sleep seconds=42'), 8000);
    assert.equal(outcome?.error, 'aborted');
    assert.equal(await until(() => (isAlive(sleepPid) ? undefined : true), 3000), true);
  });

  it('REL-004 runs nothing when the disk is full: the decision record cannot be written', async () => {
    const r = await sshd.ssh('fulldisk', 't mark');
    assert.equal(r.json?.error?.code, 'service_unavailable');
    assert.equal(r.status, 129);
    assert.equal(existsSync(join(fx.dir, 'marker')), false);
  });

  it('REL-005 runs nothing when the audit log cannot be opened for appending', async () => {
    const r = await sshd.ssh('dirlog', 't mark');
    assert.equal(r.json?.error?.code, 'service_unavailable');
    assert.equal(existsSync(join(fx.dir, 'marker')), false);
  });

  it('REL-006 writes to a new file after the audit log is rotated (renamed) between two calls', async () => {
    await sshd.ssh('reader', 't echo msg=before-rotation');
    renameSync(fx.auditPath, `${fx.auditPath}.1`);
    const r = await sshd.ssh('reader', 't echo msg=after-rotation');
    assert.ok(readAudit(fx.auditPath).some((rec) => rec.request_id === r.json?.request_id));
    assert.ok(!readAudit(`${fx.auditPath}.1`).some((rec) => rec.request_id === r.json?.request_id));
  });

  it('REL-007 gives each call one whole config while the config is replaced (atomic rename) mid-flight', async () => {
    const original = readFileSync(fx.configPath, 'utf8');
    const variantB = original.replace('"config-A"', '"config-B"');
    let swapping = true;
    const swapper = (async () => {
      for (let i = 0; swapping; i++) {
        writeFileSync(`${fx.configPath}.new`, i % 2 ? variantB : original, { mode: 0o644 });
        renameSync(`${fx.configPath}.new`, fx.configPath);
        await sleep(3);
      }
    })();
    const results = await Promise.all(Array.from({ length: 40 }, () => sshd.ssh('reader', 't which')));
    swapping = false;
    await swapper;
    writeFileSync(fx.configPath, original, { mode: 0o644 });
    for (const r of results) assert.ok(['config-A\n', 'config-B\n'].includes(String(r.json?.stdout)), `saw ${r.stdout}`);
  });

  it('REL-008 holds the caps for 10 MiB on both streams with bounded memory', async () => {
    await sshd.ssh('measured', 't echo msg=baseline');
    const baselineKb = Number(readFileSync(join(fx.dir, 'rss'), 'utf8').trim());
    const r = await sshd.ssh('measured', 't flood');
    const floodKb = Number(readFileSync(join(fx.dir, 'rss'), 'utf8').trim());
    console.log(`peak RSS: baseline ${baselineKb} KiB, 2 × 10 MiB output ${floodKb} KiB`);
    assert.equal(r.json?.stdout_bytes, 10485760);
    assert.equal(r.json?.stderr_bytes, 10485760);
    assert.equal(String(r.json?.stdout).length, 4096);
    assert.ok(floodKb < baselineKb + 20 * 1024, `peak RSS grew by ${floodKb - baselineKb} KiB for 20 MiB of output`);
  });

  it('REL-009 refuses scp and sftp clients; nothing is written', async () => {
    const key = join(sshd.dir, 'client_reader');
    const common = ['-F', '/dev/null', '-i', key, '-P', String(sshd.port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'];
    const [scpTarget, sftpTarget] = [join(fx.dir, 'scp-target'), join(fx.dir, 'sftp-target')];
    const scp = await runProcess('scp', ['-O', ...common, fx.configPath, `root@127.0.0.1:${scpTarget}`], undefined, 20000);
    assert.notEqual(scp.status, 0);
    const sftp = await runProcess('sftp', [...common, '-b', '-', 'root@127.0.0.1'], `put /etc/hostname ${sftpTarget}\n`, 20000);
    assert.notEqual(sftp.status, 0);
    assert.equal(existsSync(scpTarget) || existsSync(sftpTarget), false);
    const requests = fx.auditRecords().map((rec) => String(rec.request));
    assert.ok(requests.some((q) => q.startsWith('scp ')) && requests.some((q) => q === 'internal-sftp'));
  });

  it('REL-010 ignores a client-sent PORTCULLIS_CONFIG even when sshd accepts it (SetEnv)', async () => {
    const r = await sshd.ssh('defaultconfig', 't which', { extraArgs: ['-o', `SetEnv=PORTCULLIS_CONFIG=${evilConfig}`] });
    assert.notEqual(r.json?.stdout, 'evil config used\n');
    assert.equal(r.json?.error?.code, 'service_unavailable');
  });

  it('REL-011 answers one JSON line when a key without restrict gets a PTY', async () => {
    const r = await sshd.ssh('pty', 't echo msg=pty', { extraArgs: ['-tt'] });
    const lines = r.stdout.split('\r\n').filter(Boolean);
    assert.equal(lines.length, 1, JSON.stringify(r.stdout));
    assert.equal(JSON.parse(lines[0] ?? '').stdout, 'pty\n');
  });
});
