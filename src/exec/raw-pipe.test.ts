import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, constants, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../../testkit/tmp.js';
import { openRawPipe, sameOwnFifo } from './_raw-pipe.js';

describe('the FIFO of a raw action', () => {
  const dir = makeTempDir();
  const fifo = (name: string, mode: string): string => {
    const path = join(dir, name);
    execFileSync('mkfifo', ['-m', mode, path]);
    return path;
  };
  const ends = (readPath: string, writePath = readPath): [number, number] => {
    const read = openSync(readPath, constants.O_RDONLY | constants.O_NONBLOCK);
    return [read, openSync(writePath, constants.O_WRONLY | constants.O_NONBLOCK)];
  };
  const check = (read: number, write: number): boolean => {
    try {
      return sameOwnFifo(read, write);
    } finally {
      closeSync(read);
      closeSync(write);
    }
  };

  it('accepts both ends of one FIFO of ours with mode 0600', () => {
    assert.equal(check(...ends(fifo('own', '600'))), true);
  });

  it('refuses a FIFO others may open, two different FIFOs, and a regular file', () => {
    assert.equal(check(...ends(fifo('open', '666'))), false);
    const [a, b] = [fifo('a', '600'), fifo('b', '600')];
    const readA = openSync(a, constants.O_RDONLY | constants.O_NONBLOCK);
    const readB = openSync(b, constants.O_RDONLY | constants.O_NONBLOCK);
    const writeB = openSync(b, constants.O_WRONLY);
    assert.equal(check(readA, writeB), false);
    closeSync(readB);
    const file = join(dir, 'file');
    writeFileSync(file, '', { mode: 0o600 });
    assert.equal(check(openSync(file, 'r'), openSync(file, 'r')), false);
  });

  it('refuses a FIFO owned by someone else (run as root: chowned to nobody)', (t) => {
    if (process.geteuid?.() !== 0) return t.skip('needs root to chown');
    const path = fifo('theirs', '600');
    chownSync(path, 65534, 65534);
    chmodSync(path, 0o600);
    assert.equal(check(...ends(path)), false);
  });

  it('makes a pipe whose name is gone, and whose write end reaches the read end', async () => {
    const pipe = openRawPipe();
    assert.ok(pipe !== null, 'no FIFO could be made in the temporary directory');
    const got: Buffer[] = [];
    const reader = pipe.read((chunk) => {
      got.push(Buffer.from(chunk));
      return true;
    });
    const closed = new Promise((resolve) => reader.once('close', resolve));
    execFileSync('/bin/sh', ['-c', 'printf hello >&3'], { stdio: ['ignore', 'ignore', 'ignore', pipe.childEnd] });
    pipe.closeChildEnd();
    await closed;
    assert.equal(Buffer.concat(got).toString(), 'hello');
    pipe.close();
  });
});
