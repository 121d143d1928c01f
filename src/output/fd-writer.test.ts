import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { makeTempDir } from '../../testkit/tmp.js';
import { FdWriter } from './fd-writer.js';

const MIB = 1048576;

/** A FIFO read by `script` (a `sh -c` text) in a child process; resolves to what it printed. */
function fifoReader(script: string): { fifo: string; readerFd: number; count: Promise<number> } {
  const fifo = join(makeTempDir(), 'fifo');
  execFileSync('mkfifo', [fifo]);
  // Opened non-blocking so that this open does not wait for a writer; the child gets it as stdin.
  const readerFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const child = spawn('sh', ['-c', script], { stdio: [readerFd, 'pipe', 'inherit'] });
  const out: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  const count = new Promise<number>((resolve) => child.on('close', () => resolve(Number(Buffer.concat(out).toString().trim()))));
  return { fifo, readerFd, count };
}

describe('FdWriter', () => {
  it('writes a mebibyte whole through a blocking descriptor while the reader lags', async () => {
    const reader = fifoReader('sleep 0.2; wc -c');
    const fd = openSync(reader.fifo, constants.O_WRONLY);
    closeSync(reader.readerFd);
    const writer = new FdWriter(fd, () => assert.fail('a blocking descriptor never needs the stream'));
    writer.write('x'.repeat(MIB));
    await writer.flushed();
    closeSync(fd);
    assert.equal(await reader.count, MIB);
  });

  it('finishes through a stream when the descriptor is non-blocking, and flushed() waits for the reader', async () => {
    const reader = fifoReader('sleep 0.3; wc -c');
    const fd = openSync(reader.fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    closeSync(reader.readerFd);
    let stream: Socket | null = null;
    const writer = new FdWriter(fd, () => (stream = new Socket({ fd, readable: false, writable: true })));
    writer.write('y'.repeat(MIB));
    writer.write('z\n');
    assert.ok(stream !== null, 'the pipe filled up, so the writer switched to a stream');
    await writer.flushed();
    assert.equal((stream as Socket).writableLength, 0, 'flushed() resolved with bytes still queued');
    (stream as Socket).end();
    assert.equal(await reader.count, MIB + 2);
  });

  it('stops writing once the reader is gone (EPIPE), without throwing', () => {
    const reader = fifoReader('exit 0');
    const fd = openSync(reader.fifo, constants.O_WRONLY);
    closeSync(reader.readerFd);
    // Once the only reader has exited, a write gets EPIPE (Node ignores SIGPIPE).
    return reader.count.then(() => {
      const writer = new FdWriter(fd, () => assert.fail('EPIPE is not EAGAIN'));
      assert.doesNotThrow(() => writer.write('after the reader left\n'));
      assert.doesNotThrow(() => writer.write('and again\n'));
      closeSync(fd);
    });
  });
});
