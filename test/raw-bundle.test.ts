import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync } from 'node:fs';
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
      `exec = ["/bin/sh", "-c", "if [ -p /dev/stdout ]; then echo fifo; elif [ -S /dev/stdout ]; then echo socket; fi; stat -L -c %a /dev/stdout; ls -A ${dir}/tmp; head -c 3000000 /dev/zero"]\n`,
    0o600,
  );
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
});
