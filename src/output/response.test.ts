import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeOutput, errorResponse, responseLine, stderrLine } from './index.js';
import type { CapturedStream } from '../exec/index.js';

const captured = (kept: Buffer, totalBytes = kept.length): CapturedStream => ({ kept, totalBytes, truncated: totalBytes > kept.length, sha256: '' });

describe('encodeOutput', () => {
  it('returns valid UTF-8 as text', () => assert.deepEqual(encodeOutput(captured(Buffer.from('héllo\nworld\n'))), { text: 'héllo\nworld\n', encoding: 'utf-8' }));
  it('keeps a leading byte-order mark: the text is exactly the bytes', () => {
    const withBom = Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0x0a]);
    assert.deepEqual(encodeOutput(captured(withBom)), { text: '\ufeffa\n', encoding: 'utf-8' });
  });
  it('returns bytes that are not UTF-8 as base64', () => {
    assert.deepEqual(encodeOutput(captured(Buffer.from([0xff, 0x61]))), { text: Buffer.from([0xff, 0x61]).toString('base64'), encoding: 'base64' });
  });
  it('trims a character split by the cap and stays text', () => {
    const euro = Buffer.from('ab€', 'utf8');
    assert.deepEqual(encodeOutput(captured(euro.subarray(0, 3), 5)), { text: 'ab', encoding: 'utf-8' });
  });
  it('sends control-heavy text as base64 so the answer stays within 4/3 of the cap', () => {
    const controls = Buffer.alloc(3000, 0x01);
    const encoded = encodeOutput(captured(controls));
    assert.equal(encoded.encoding, 'base64');
    assert.equal(encoded.text.length, 4000);
  });
  it('is lossless and bounded for any bytes', () => {
    // Half the inputs start with a UTF-8 byte-order mark, which a decoder may silently drop.
    const bytesMaybeWithBom = fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 300 })).map(([bom, rest]) => (bom ? Uint8Array.from([0xef, 0xbb, 0xbf, ...rest]) : rest));
    fc.assert(
      fc.property(bytesMaybeWithBom, (array) => {
        const bytes = Buffer.from(array);
        const encoded = encodeOutput(captured(bytes));
        const back = encoded.encoding === 'base64' ? Buffer.from(encoded.text, 'base64') : Buffer.from(encoded.text, 'utf8');
        assert.deepEqual(back, bytes);
        assert.ok(JSON.stringify(encoded.text).length - 2 <= 4 * Math.ceil(bytes.length / 3));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('responseLine and stderrLine', () => {
  it('serialises to exactly one line whatever the message holds', () => {
    const failure = { code: 'bad_request' as const, message: 'x\ny\u2028z' };
    const line = responseLine(errorResponse('id', failure, {}, false));
    assert.equal(line.indexOf('\n'), line.length - 1);
    assert.equal(stderrLine(failure, false), 'portcullis: bad_request: x\\x0ay\u2028z\n');
  });
  it('shows server detail only under --diagnostic', () => {
    const failure = { code: 'service_unavailable' as const, message: 'service unavailable', detail: '/etc/portcullis/config.toml: EACCES' };
    assert.equal(JSON.parse(responseLine(errorResponse('id', failure, {}, false))).error.detail, undefined);
    assert.equal(JSON.parse(responseLine(errorResponse('id', failure, {}, true))).error.detail, failure.detail);
  });
});
