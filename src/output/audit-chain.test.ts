import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { GENESIS, chainOf, chainedLine, isChainReset, splitChained } from './audit-chain-form.js';
import { startOf } from './audit-chain.js';
import { jsonLine } from './json-line.js';

describe('chainedLine / splitChained: the byte form', () => {
  it('the line is R with its last } replaced by ,"chain":"…"}, and chain = SHA-256(prev LF R)', () => {
    const { line, chain } = chainedLine({ ts: 't', event: 'decision', a: 1 }, 7, GENESIS, jsonLine);
    const r = `{"ts":"t","event":"decision","a":1,"seq":7,"prev":"${GENESIS}"}`;
    assert.equal(chain, createHash('sha256').update(`${GENESIS}\n${r}`).digest('hex'));
    assert.equal(line, `${r.slice(0, -1)},"chain":"${chain}"}\n`);
  });

  it('a caller\'s seq, prev or chain field never poses as the link', () => {
    const { line } = chainedLine({ ts: 't', event: 'x', seq: 99, prev: 'p', chain: 'c' }, 1, GENESIS, jsonLine);
    assert.equal((line.match(/"seq"/g) ?? []).length, 1);
    assert.equal(splitChained(Buffer.from(line.slice(0, -1)))?.link.seq, 1);
  });

  it('splitting gives back R exactly, for any record, without re-serialising (property)', () => {
    fc.assert(fc.property(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean())), fc.nat(), (fields, seq) => {
      const { line, chain } = chainedLine({ ts: 't', event: 'e', ...fields }, seq, GENESIS, jsonLine);
      const split = splitChained(Buffer.from(line.slice(0, -1), 'utf8'));
      assert.ok(split !== null);
      assert.equal(split.link.chain, chain);
      assert.equal(chainOf(split.link.prev, split.record), chain);
    }), { seed: Number(process.env.FC_SEED) || undefined });
  });

  it('a line that does not end in the link is not chained', () => {
    for (const text of ['', '{}', '{"seq":1,"prev":"x","chain":"y"}', `{"a":1,"seq":01,"prev":"${GENESIS}","chain":"${GENESIS}"}`]) {
      assert.equal(splitChained(Buffer.from(text)), null, text);
    }
  });

  it('isChainReset reads only the writer\'s leading ts and event', () => {
    const reset = chainedLine({ ts: 't', event: 'chain_reset', reason: 'r' }, 0, GENESIS, jsonLine).line;
    assert.ok(isChainReset(Buffer.from(reset)));
    assert.ok(!isChainReset(Buffer.from('{"ts":"t","event":"decision","request":"\\"event\\":\\"chain_reset\\""}')));
  });
});

describe('startOf: where the next record links', () => {
  const file = { ino: 10, dev: 1 };
  const head = { seq: 5, chain: 'a'.repeat(64), ino: 10, dev: 1 };
  it('genesis for no head and an empty log', () => assert.deepEqual(startOf(null, 'empty', file), { seq: 0, prev: GENESIS, reset: null }));
  it('continues in a new empty file (rotation)', () => assert.deepEqual(startOf({ ...head, ino: 9 }, 'empty', file), { seq: 6, prev: head.chain, reset: null }));
  it('continues when the tail agrees', () => assert.deepEqual(startOf(head, { seq: 5, prev: GENESIS, chain: head.chain }, file), { seq: 6, prev: head.chain, reset: null }));
  it('takes a tail one ahead of the head (a writer died between the two)', () => {
    assert.deepEqual(startOf(head, { seq: 6, prev: head.chain, chain: 'b'.repeat(64) }, file), { seq: 7, prev: 'b'.repeat(64), reset: null });
  });
  for (const [name, h, tail] of [
    ['the log emptied in place', head, 'empty'],
    ['a cut tail', head, { seq: 3, prev: GENESIS, chain: 'c'.repeat(64) }],
    ['an unchained tail', head, null],
    ['no head for a log with records', null, { seq: 3, prev: GENESIS, chain: 'c'.repeat(64) }],
    ['an unreadable head', 'invalid', 'empty'],
  ] as const) {
    it(`resets on ${name}, seq still increasing`, () => {
      const start = startOf(h, tail, file);
      assert.ok(start.reset !== null);
      assert.equal(start.prev, GENESIS);
      assert.ok(start.seq >= (h !== null && h !== 'invalid' ? h.seq + 1 : 0));
    });
  }
});
