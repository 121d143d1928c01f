import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ProcessAbort } from '../exec/abort-watch.js';
import { LineReader } from './line-reader.js';
import { runSessionLoop, type SessionHandler, type SessionLimits } from './loop.js';

const LIMITS: SessionLimits = { maxRequests: 100, idleTimeoutMs: 5000, maxSeconds: 3600, maxLineBytes: 1024 };

/** Records what the loop asked for; `lockOutOn` names a request text that locks the caller out. */
function recorder(lockOutOn = '', stallAfter = Infinity) {
  const seen: string[] = [];
  const handler: SessionHandler = {
    request: async (line, seq) => {
      seen.push(`${seq}:${line.request}`);
      return { lockedOut: line.request === lockOutOn };
    },
    protocolError: async (id) => void seen.push(`fault:${id}`),
    drained: async () => ({ clientGone: false, stalled: seen.length >= stallAfter }),
  };
  return { seen, handler };
}

async function session(input: string, options: { limits?: Partial<SessionLimits>; lockOutOn?: string; end?: boolean; stallAfter?: number } = {}) {
  const stream = new PassThrough();
  const { seen, handler } = recorder(options.lockOutOn, options.stallAfter);
  if (options.end === false) stream.write(input);
  else stream.end(input);
  const end = await runSessionLoop(new LineReader(stream, 1024), { ...LIMITS, ...options.limits }, handler, new ProcessAbort(), Date.now);
  return { ...end, seen };
}

const line = (request: string, id?: string): string => `${JSON.stringify({ id, request })}\n`;

describe('runSessionLoop: end reasons and protocol errors (docs/protocol.md §12)', () => {
  it('serves every line received before eof, in order, then ends with eof', async () => {
    const r = await session(line('list', 'a') + line('whoami', 'b'));
    assert.deepEqual([r.reason, r.requests, r.seen], ['eof', 2, ['1:list', '2:whoami']]);
  });

  it('ends after three protocol errors in a row; a well-formed line resets the count', async () => {
    const r = await session(`x\n\n${line('list')}{}\n[1]\nnot json\n${line('never')}`);
    assert.equal(r.reason, 'protocol_errors');
    assert.deepEqual(r.seen, ['fault:null', 'fault:null', '1:list', 'fault:null', 'fault:null', 'fault:null']);
  });

  it('ends at max_requests without reading more', async () => {
    const r = await session(line('a') + line('b') + line('c'), { limits: { maxRequests: 2 } });
    assert.deepEqual([r.reason, r.seen], ['max_requests', ['1:a', '2:b']]);
  });

  it('ends right after the answer that locked the caller out', async () => {
    const r = await session(line('a') + line('bad') + line('c'), { lockOutOn: 'bad' });
    assert.deepEqual([r.reason, r.seen], ['locked_out', ['1:a', '2:bad']]);
  });

  it('ends with idle_timeout when the client left an answer untaken, without reading another line', async () => {
    const r = await session(line('a') + line('b') + line('c'), { stallAfter: 1 });
    assert.deepEqual([r.reason, r.requests, r.seen], ['idle_timeout', 1, ['1:a']]);
  });

  it('ends with idle_timeout when the client sends nothing, and with max_seconds when the session is over', async () => {
    assert.equal((await session('', { end: false, limits: { idleTimeoutMs: 30 } })).reason, 'idle_timeout');
    assert.equal((await session('', { end: false, limits: { maxSeconds: 0.05 } })).reason, 'max_seconds');
  });

  it('ends with aborted on a stop signal while waiting for a line', async () => {
    const abort = new ProcessAbort();
    setTimeout(() => abort.abort(), 20);
    const { handler } = recorder();
    const end = await runSessionLoop(new LineReader(new PassThrough(), 1024), LIMITS, handler, abort, Date.now);
    assert.equal(end.reason, 'aborted');
  });

  it('answers an over-long line as a protocol error and goes on', async () => {
    const r = await session(`${'x'.repeat(5000)}\n${line('list')}`);
    assert.deepEqual(r.seen, ['fault:null', '1:list']);
  });
});
