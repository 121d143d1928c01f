import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE } from '../testkit/sshd.js';
import { makeTempDir, serverTable, writeFileWithMode } from '../testkit/tmp.js';

/** Raw output (docs/protocol.md §13) from the bundle when stdout is no pipe: a file, /dev/null. */
describe('raw output to a file or a device', () => {
  const dir = makeTempDir();
  const config = writeFileWithMode(
    join(dir, 'config.toml'),
    `${serverTable(dir)}[domains.dl]\ndescription = "Downloads"\n` +
      `[domains.dl.actions.bytes]\ndescription = "3 MB of random bytes"\nlevel = "read"\noutput = "raw"\nexec = ["/usr/bin/head", "-c", "3000000", "/dev/urandom"]\n` +
      // What the action's stdout is, and what the temporary directory holds while it runs.
      `[domains.dl.actions.where]\ndescription = "Its stdout"\nlevel = "read"\noutput = "raw"\n` +
      `exec = ["/bin/sh", "-c", "if [ -p /dev/stdout ]; then echo fifo; elif [ -S /dev/stdout ]; then echo socket; fi; stat -L -c %a /dev/stdout; ls -A ${dir}/tmp; head -c 3000000 /dev/zero"]\n` +
      `[domains.dl.actions.random]\ndescription = "8 MiB of random bytes"\nlevel = "read"\noutput = "raw"\nexec = ["/bin/cat", "${dir}/random.bin"]\n`,
    0o600,
  );
  const random = randomBytes(8 * 1024 * 1024);
  writeFileSync(join(dir, 'random.bin'), random);
  mkdirSync(join(dir, 'tmp'), { mode: 0o700 });
  const serveInto = (path: string) => {
    const fd = openSync(path, 'w');
    try {
      return spawnSync(BUNDLE, ['--config', config, '--level', 'read'], { env: { PATH: '/usr/bin:/bin', SSH_ORIGINAL_COMMAND: 'dl bytes' }, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    } finally {
      closeSync(fd);
    }
  };

  it('writes every byte to a regular file, the answer alone on stderr with the file\'s SHA-256', () => {
    const file = join(dir, 'download.bin');
    const run = serveInto(file);
    assert.equal(run.status, 0, run.stderr);
    const bytes = readFileSync(file);
    const answer = JSON.parse(run.stderr);
    assert.deepEqual([bytes.length, answer.ok, answer.stdout_bytes, answer.stdout_encoding], [3_000_000, true, 3_000_000, 'raw']);
    assert.equal(answer.stdout_sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(run.stderr.split('\n').length, 2, 'one line on stderr');
  });

  it('writes to /dev/null and still answers with the count and hash of what was written', () => {
    const run = serveInto('/dev/null');
    assert.equal(run.status, 0, run.stderr);
    assert.equal(JSON.parse(run.stderr).stdout_bytes, 3_000_000);
  });

  const serveThroughPipe = (tmp: string) =>
    spawnSync(BUNDLE, ['--config', config, '--level', 'read'], { env: { PATH: '/usr/bin:/bin', SSH_ORIGINAL_COMMAND: 'dl where', TMPDIR: tmp }, maxBuffer: 1 << 24 });

  it('RAW-012 gives the action a FIFO of mode 0600 whose name is gone before the action starts, so no one else can open the download', () => {
    const run = serveThroughPipe(join(dir, 'tmp'));
    assert.equal(run.status, 0, run.stderr.toString());
    const head = run.stdout.subarray(0, run.stdout.length - 3_000_000).toString('latin1');
    // No `ls` line: the private directory and the FIFO's name were removed before the spawn.
    assert.equal(head, 'fifo\n600\n');
    assert.deepEqual(readdirSync(join(dir, 'tmp')), []);
    const answer = JSON.parse(run.stderr.toString());
    assert.equal(answer.stdout_sha256, createHash('sha256').update(run.stdout).digest('hex'));
  });

  it('falls back to Node\'s own pipe when no FIFO can be made, and still delivers every byte with its hash', () => {
    const run = serveThroughPipe(join(dir, 'no-such-dir'));
    assert.equal(run.status, 0, run.stderr.toString());
    assert.equal(run.stdout.subarray(0, 7).toString('latin1'), 'socket\n');
    const answer = JSON.parse(run.stderr.toString());
    assert.equal(answer.stdout_bytes, run.stdout.length);
    assert.equal(answer.stdout_sha256, createHash('sha256').update(run.stdout).digest('hex'));
  });

  it('ignores TMPDIR under sshd (SSH_CONNECTION set): the FIFO is made in /tmp', () => {
    const run = spawnSync(BUNDLE, ['--config', config, '--level', 'read'], {
      env: { PATH: '/usr/bin:/bin', SSH_ORIGINAL_COMMAND: 'dl where', TMPDIR: join(dir, 'no-such-dir'), SSH_CONNECTION: '192.0.2.1 50000 192.0.2.2 22' },
      maxBuffer: 1 << 24,
    });
    assert.equal(run.status, 0, run.stderr.toString());
    assert.equal(run.stdout.subarray(0, 9).toString('latin1'), 'fifo\n600\n');
  });

  it('delivers random bytes unchanged to a reader slower than the program, whose pipe fills again and again', async () => {
    // The one read buffer is reused: a chunk still held by a half-done write must not be overwritten.
    const child = spawn(BUNDLE, ['--config', config, '--level', 'read'], { env: { PATH: '/usr/bin:/bin', SSH_ORIGINAL_COMMAND: 'dl random' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const got: Buffer[] = [];
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      got.push(chunk);
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), 3);
    });
    const status = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(status, 0, stderr);
    const received = Buffer.concat(got);
    assert.equal(received.length, random.length);
    assert.ok(received.equals(random), 'the bytes received differ from the file');
    assert.equal(JSON.parse(stderr).stdout_sha256, createHash('sha256').update(random).digest('hex'));
  });
});
