import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EncodedText, jsonLinePieces } from './encoded-text.js';
import { jsonLine } from './json-line.js';

const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.constantFrom('\u2028', '\u2029', '"', '\\', '\n'));

describe('EncodedText and jsonLinePieces', () => {
  it('OUT-027 writes an answer in pieces that join to exactly jsonLine of it, whatever the output bytes', () => {
    const field = fc.tuple(fc.uint8Array({ maxLength: 200 }), fc.boolean()).map(([bytes, base64]) => new EncodedText(Buffer.from(bytes), base64 ? 'base64' : 'utf-8'));
    const utf8Field = fc.array(text, { maxLength: 20 }).map((parts) => new EncodedText(Buffer.from(parts.join(''), 'utf8'), 'utf-8'));
    const record = fc.record({ v: fc.constant(1), request_id: text, stdout: fc.oneof(field, utf8Field, fc.constant(null)), stderr: fc.oneof(field, utf8Field), error: fc.option(fc.record({ code: text, message: text }), { nil: undefined }) });
    fc.assert(
      fc.property(record, (response) => {
        assert.equal([...jsonLinePieces(response)].join(''), jsonLine(response));
      }),
      { numRuns: 2000 },
    );
  });

  it('cuts a large output into bounded pieces, UTF-8 only between characters', () => {
    const bytes = Buffer.from('é€😀a'.repeat(400_000), 'utf8');
    const pieces = [...new EncodedText(bytes, 'utf-8').jsonPieces()];
    assert.ok(pieces.length > 3);
    for (const piece of pieces) assert.ok(piece.length <= 1 << 20, `a piece of ${piece.length} characters`);
    assert.equal(pieces.join(''), bytes.toString('utf8'));
    const base64 = [...new EncodedText(bytes, 'base64').jsonPieces()].join('');
    assert.equal(base64, bytes.toString('base64'));
  });
});
