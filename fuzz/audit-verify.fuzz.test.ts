import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { GENESIS, chainedLine } from '../src/output/audit-chain-form.js';
import { verifyAuditLog } from '../src/output/audit-verify.js';
import { jsonLine } from '../src/output/json-line.js';
import { fuzzParameters } from './_budget.js';

const KINDS = new Set(['missing', 'empty', 'unreadable', 'partial', 'unchained', 'edited', 'inserted', 'deleted', 'reordered', 'head_cut', 'reset', 'tail_cut']);

/** A valid chain of `n` records with hostile field text. */
function chain(texts: readonly string[]): string[] {
  let prev = GENESIS;
  return texts.map((text, seq) => {
    const { line, chain: next } = chainedLine({ ts: 't', event: 'decision', request: text }, seq, prev, jsonLine);
    prev = next;
    return line;
  });
}

describe('fuzz: verify-audit on any bytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-fuzz-audit-'));
  const file = join(dir, 'audit.jsonl');
  after(() => rmSync(dir, { recursive: true, force: true }));
  it('never throws, always names a known kind, and accepts exactly the untouched chain', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { minLength: 1, maxLength: 6 }), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 3 }), (texts, at, bytes) => {
        const lines = chain(texts);
        const whole = Buffer.from(lines.join(''), 'utf8');
        writeFileSync(file, whole);
        assert.equal(verifyAuditLog(file, { segment: false, seals: [] }).ok, true);
        // Any change of bytes inside the file (not a mere truncation at a line end) is caught.
        const position = at % whole.length;
        const changed = Buffer.from(whole);
        changed.set(bytes.subarray(0, Math.min(bytes.length, whole.length - position)), position);
        writeFileSync(file, changed);
        const result = verifyAuditLog(file, { segment: false, seals: [] });
        if (changed.equals(whole)) return;
        assert.equal(result.ok, false, `a change at byte ${position} passed`);
        if (!result.ok) assert.ok(KINDS.has(result.problem.kind), result.problem.kind);
      }),
      fuzzParameters('audit-verify', 200, 2),
    );
  });
});
