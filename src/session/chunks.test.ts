import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkStreamer, type OutputStream } from './chunks.js';

describe('ChunkStreamer: output as chunk events (docs/protocol.md §12)', () => {
  it('splits on character boundaries and sends at most one chunk per stream per 100 ms', async () => {
    const sent: Array<[OutputStream, string, number]> = [];
    const streamer = new ChunkStreamer((stream, data) => sent.push([stream, data, Date.now()]));
    const euro = Buffer.from('€', 'utf8');
    streamer.push('stdout', euro.subarray(0, 2));
    streamer.push('stdout', euro.subarray(2));
    streamer.push('stderr', Buffer.from('warn'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    streamer.push('stdout', Buffer.from(' more'));
    await new Promise((resolve) => setTimeout(resolve, 250));
    streamer.finish();
    const stdout = sent.filter(([stream]) => stream === 'stdout');
    assert.equal(stdout.map(([, data]) => data).join(''), '€ more');
    assert.ok(stdout.every(([, data]) => !data.includes('\ufffd')), 'a character was split');
    for (let i = 1; i < stdout.length; i++) assert.ok((stdout[i]?.[2] ?? 0) - (stdout[i - 1]?.[2] ?? 0) >= 95, 'two stdout chunks within 100 ms');
    assert.deepEqual(sent.filter(([stream]) => stream === 'stderr').map(([, data]) => data), ['warn']);
  });

  it('keeps at most 64 Ki characters pending per stream, never half a surrogate pair', () => {
    const sent: string[] = [];
    const streamer = new ChunkStreamer((_stream, data) => sent.push(data));
    streamer.push('stdout', Buffer.from('a'.repeat(65535) + '😀😀', 'utf8'));
    streamer.finish();
    assert.equal(sent.join('').length, 65535);
  });
});
