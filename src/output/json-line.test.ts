import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { jsonLine } from './json-line.js';
import { encodeOutput } from './response.js';

/** How a Unicode-aware reader splits lines: LF, CR, and the line and paragraph separators. */
const UNICODE_LINE_BREAK = /\r\n|[\n\r\u2028\u2029]/;
const withSeparators = fc.array(fc.oneof(fc.constantFrom('\u2028', '\u2029', '\n', '"', '\\'), fc.string({ unit: 'grapheme', maxLength: 4 })), { maxLength: 12 }).map((parts) => parts.join(''));

describe('jsonLine', () => {
  it('OUT-024 writes every value as one line for any line splitter, with no raw U+2028/U+2029, and reads back the same', () => {
    const value = fc.dictionary(withSeparators, fc.oneof(withSeparators, fc.array(withSeparators, { maxLength: 3 }), fc.integer()), { maxKeys: 5 });
    fc.assert(
      fc.property(value, (record) => {
        const line = jsonLine(record);
        assert.ok(line.endsWith('\n'));
        assert.deepEqual(line.slice(0, -1).split(UNICODE_LINE_BREAK).length, 1, `split: ${JSON.stringify(line)}`);
        assert.deepEqual(JSON.parse(line), JSON.parse(JSON.stringify(record)));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps an answer of output full of separators within 4/3 of the cap (text only when JSON is not longer than base64)', () => {
    const separatorHeavy = fc.array(fc.constantFrom('\u2028', '\u2029', 'a', 'é'), { maxLength: 200 }).map((parts) => Buffer.from(parts.join(''), 'utf8'));
    fc.assert(
      fc.property(separatorHeavy, (bytes) => {
        const encoded = encodeOutput({ kept: bytes, totalBytes: bytes.length, truncated: false, sha256: '' });
        const answered = encoded.encoding === 'utf-8' ? jsonLine(encoded.text).length - 3 : encoded.text.length;
        assert.ok(answered <= 4 * Math.ceil(bytes.length / 3), `${answered} characters for ${bytes.length} bytes`);
      }),
      { numRuns: 1000 },
    );
  });
});
