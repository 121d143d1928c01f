import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkStreamer, type OutputStream } from './chunks.js';

describe('ChunkStreamer: output as chunk events (docs/protocol.md §12)', () => {
  it('splits on character boundaries and sends at most one chunk per stream per 100 ms', async () => {
    const sent: Array<[OutputStream, string, number]> = [];
    const streamer = new ChunkStreamer(async (stream, data) => void sent.push([stream, data, Date.now()]));
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
    const streamer = new ChunkStreamer(async (_stream, data) => void sent.push(data));
    streamer.push('stdout', Buffer.from('a'.repeat(65535) + '😀😀', 'utf8'));
    streamer.finish();
    assert.equal(sent.join('').length, 65535);
  });

  it('sends nothing after finish(): a process that escaped the group cannot add chunks after the answer', async () => {
    const sent: string[] = [];
    const streamer = new ChunkStreamer(async (_stream, data) => void sent.push(data));
    streamer.push('stdout', Buffer.from('before'));
    streamer.finish();
    streamer.push('stdout', Buffer.from('after'));
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.deepEqual(sent, ['before']);
  });

  it('holds the next chunk while the client has not taken the previous one, keeping at most 64 Ki characters', async () => {
    const sent: string[] = [];
    let release: () => void = () => undefined;
    const streamer = new ChunkStreamer((_stream, data) => {
      sent.push(data);
      return new Promise<void>((resolve) => (release = resolve));
    });
    streamer.push('stdout', Buffer.from('first'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let i = 0; i < 40; i++) streamer.push('stdout', Buffer.alloc(4096, 0x61));
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.deepEqual(sent, ['first'], 'a chunk went out while the previous one was still unread');
    release();
    streamer.finish();
    assert.equal(sent.length, 2);
    assert.equal(sent[1]?.length, 65536);
  });
});
