import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { LineReader, MAX_LINES_AHEAD, type LineEvent } from './line-reader.js';

const NEVER = new AbortController().signal;
const text = (event: LineEvent): string => (event.kind === 'line' ? event.line.toString('utf8') : `<${event.kind}>`);

describe('LineReader: LF-terminated lines with bounded memory (docs/protocol.md §12)', () => {
  it('splits lines across and within chunks, delivers queued lines before eof, reports a tail without LF', async () => {
    const input = new PassThrough();
    const reader = new LineReader(input, 100);
    input.write('one\ntw');
    input.write('o\nthree\n');
    input.end('four');
    const seen: string[] = [];
    for (;;) {
      const event = await reader.next(1000, NEVER);
      seen.push(text(event));
      if (event.kind === 'eof') break;
    }
    assert.deepEqual(seen, ['one', 'two', 'three', '<unterminated>', '<eof>']);
  });

  it('drops a line over the limit as it arrives and goes on with the next one', async () => {
    const input = new PassThrough();
    const reader = new LineReader(input, 10);
    input.write('0123456789');
    input.write('abc');
    input.write('def\nok\n');
    assert.equal(text(await reader.next(1000, NEVER)), '<too-long>');
    assert.equal(text(await reader.next(1000, NEVER)), 'ok');
  });

  it('accepts a line of exactly the limit', async () => {
    const input = new PassThrough();
    const reader = new LineReader(input, 10);
    input.write('0123456789\n');
    assert.equal(text(await reader.next(1000, NEVER)), '0123456789');
  });

  it('fires the idle timer while blocked on a client that sends nothing', async () => {
    const reader = new LineReader(new PassThrough(), 10);
    assert.equal(text(await reader.next(50, NEVER)), '<idle>');
  });

  it('returns aborted when the abort signal fires while waiting', async () => {
    const reader = new LineReader(new PassThrough(), 10);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 20);
    assert.equal(text(await reader.next(10000, abort.signal)), '<aborted>');
  });

  it(`stops reading once ${MAX_LINES_AHEAD} lines wait, so a client that only writes fills its own pipe`, async () => {
    const input = new PassThrough({ highWaterMark: 64 });
    const reader = new LineReader(input, 100);
    let accepted = 0;
    // Write one line at a time until the stream pushes back.
    while (accepted < 10000 && input.write(`{"request":"list"} ${accepted}\n`)) accepted += 1;
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(input.isPaused(), 'the reader kept reading');
    assert.ok(input.readableLength + input.writableLength < 64 * 4, 'the stream buffered without bound');
    assert.equal(text(await reader.next(1000, NEVER)).startsWith('{"request":"list"}'), true);
  });
});
