import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isoTimestamp } from './timestamp.js';

describe('isoTimestamp', () => {
  it('writes exactly what Date.prototype.toISOString writes, for every millisecond of years 1970–9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), (ms) => {
        assert.equal(isoTimestamp(ms), new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
  });

  it('is right at the edges: epoch, leap days, century and 400-year rules, the last four-digit year', () => {
    for (const text of ['1970-01-01T00:00:00.000Z', '2000-02-29T23:59:59.999Z', '2100-03-01T00:00:00.000Z', '2024-02-29T12:00:00.000Z', '2026-11-23T22:09:03.007Z', '9999-12-31T23:59:59.999Z']) {
      assert.equal(isoTimestamp(Date.parse(text)), text);
    }
  });

  it('falls back to Date outside that range', () => {
    assert.equal(isoTimestamp(-1), '1969-12-31T23:59:59.999Z');
    assert.equal(isoTimestamp(253_402_300_800_000), '+010000-01-01T00:00:00.000Z');
  });
});
