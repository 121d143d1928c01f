import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { makeTempDir } from '../../testkit/tmp.js';
import { StdioWriter, type Channel } from './stdio-writer.js';

const MIB = 1048576;

/** A FIFO read by `script` (a `sh -c` text) in a child process; resolves to what it printed. */
function fifoReader(script: string): { fifo: string; readerFd: number; output: Promise<string> } {
  const fifo = join(makeTempDir(), 'fifo');
  execFileSync('mkfifo', [fifo]);
  // Opened non-blocking so that this open does not wait for a writer; the child gets it as stdin.
  const readerFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const child = spawn('sh', ['-c', script], { stdio: [readerFd, 'pipe', 'inherit'] });
  const out: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  const output = new Promise<string>((resolve) => child.on('close', () => resolve(Buffer.concat(out).toString())));
  return { fifo, readerFd, output };
}

/** A stream per channel on its descriptor, as main.ts opens process.stdout and process.stderr. */
function socketsOn(fds: Record<Channel, number>): { open: (channel: Channel) => Socket; opened: Map<Channel, Socket> } {
  const opened = new Map<Channel, Socket>();
  return {
    opened,
    open: (channel) => {
      const stream = new Socket({ fd: fds[channel], readable: false, writable: true });
      opened.set(channel, stream);
      return stream;
    },
  };
}

describe('StdioWriter', () => {
  it('writes a mebibyte whole through a blocking descriptor while the reader lags', async () => {
    const reader = fifoReader('sleep 0.2; wc -c');
    const fd = openSync(reader.fifo, constants.O_WRONLY);
    closeSync(reader.readerFd);
    const writer = new StdioWriter({ out: fd, err: fd }, () => assert.fail('a blocking descriptor never needs a stream'));
    writer.write('out', 'x'.repeat(MIB));
    await writer.flushed();
    closeSync(fd);
    assert.equal(Number((await reader.output).trim()), MIB);
  });

  it('finishes through a stream when the descriptor is non-blocking, and flushed() waits for the reader', async () => {
    const reader = fifoReader('sleep 0.3; wc -c');
    const fd = openSync(reader.fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    closeSync(reader.readerFd);
    const sockets = socketsOn({ out: fd, err: fd });
    const writer = new StdioWriter({ out: fd, err: fd }, sockets.open);
    writer.write('out', 'y'.repeat(MIB));
    writer.write('out', 'z\n');
    await writer.flushed();
    const stream = sockets.opened.get('out');
    assert.ok(stream !== undefined, 'the pipe filled up, so the writer switched to a stream');
    assert.equal(stream.writableLength, 0, 'flushed() resolved with bytes still queued');
    stream.end();
    assert.equal(Number((await reader.output).trim()), MIB + 2);
  });

  it('once the answer is queued, holds the stderr line back until the answer has been taken', async () => {
    // fd "out": a FIFO nobody reads, non-blocking, so the answer meets EAGAIN and queues.
    const outFifo = fifoReader('sleep 1');
    const outFd = openSync(outFifo.fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    // fd "err": a FIFO with room, read here, so a premature write would show at once.
    const errFifo = join(makeTempDir(), 'err');
    execFileSync('mkfifo', [errFifo]);
    const errReader = openSync(errFifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const errFd = openSync(errFifo, constants.O_WRONLY | constants.O_NONBLOCK);
    const taken: string[] = [];
    let release: () => void = () => assert.fail('the answer never reached its stream');
    const streams = new Map<Channel, Writable>([
      ['out', new Writable({ write: (chunk: Buffer, _encoding, done) => { taken.push(`out:${chunk.length}`); release = done; } })],
      ['err', new Writable({ write: (chunk: Buffer, _encoding, done) => { taken.push(`err:${chunk.toString()}`); done(); } })],
    ]);
    const writer = new StdioWriter({ out: outFd, err: errFd }, (channel) => streams.get(channel) as Writable);
    writer.write('out', 'a'.repeat(MIB));
    writer.write('err', 'late line\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.throws(() => readSync(errReader, Buffer.alloc(64)), /EAGAIN/, 'the stderr line went out ahead of the answer');
    assert.equal(taken.length, 1, 'only the rest of the answer is in flight');
    release();
    await writer.flushed();
    assert.match(String(taken[0]), /^out:\d+$/);
    assert.deepEqual(taken.slice(1), ['err:late line\n']);
    for (const fd of [outFd, errFd, errReader, outFifo.readerFd]) closeSync(fd);
  });

  it('stops writing once the reader is gone (EPIPE), without throwing', async () => {
    const reader = fifoReader('exit 0');
    const fd = openSync(reader.fifo, constants.O_WRONLY);
    closeSync(reader.readerFd);
    // Once the only reader has exited, a write gets EPIPE (Node ignores SIGPIPE).
    await reader.output;
    const writer = new StdioWriter({ out: fd, err: fd }, () => assert.fail('EPIPE is not EAGAIN'));
    assert.doesNotThrow(() => writer.write('out', 'after the reader left\n'));
    assert.doesNotThrow(() => writer.write('out', 'and again\n'));
    await writer.flushed();
    closeSync(fd);
  });
});
