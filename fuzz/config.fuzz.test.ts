import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadConfig } from '../src/config/full.js';
import { makeTempDir, writeFileWithMode } from '../testkit/tmp.js';
import { fuzzParameters, hostileText } from './_budget.js';

const demo = readFileSync(join(__dirname, '..', '..', 'config', 'demo.toml'), 'utf8');
const lines = demo.split('\n');

/** A mutation of the demo config: lines dropped, duplicated, swapped or spliced with noise. */
const mutatedDemo = fc
  .array(
    fc.oneof(
      fc.record({ kind: fc.constant('drop' as const), at: fc.nat(lines.length) }),
      fc.record({ kind: fc.constant('dup' as const), at: fc.nat(lines.length) }),
      fc.record({ kind: fc.constant('noise' as const), at: fc.nat(lines.length), text: hostileText(6) }),
      fc.record({ kind: fc.constant('value' as const), at: fc.nat(lines.length), text: fc.constantFrom('true', '-1', '1e9', '"x"', '[]', '{}', '"__proto__"', '99999999999999999999', '"/{x}"') }),
    ),
    { maxLength: 6 },
  )
  .map((mutations) => {
    const out = [...lines];
    for (const m of mutations) {
      const at = Math.min(m.at, out.length - 1);
      if (m.kind === 'drop') out.splice(at, 1);
      else if (m.kind === 'dup') out.splice(at, 0, out[at] ?? '');
      else if (m.kind === 'noise') out[at] = `${out[at] ?? ''}${m.text}`;
      else out[at] = (out[at] ?? '').replace(/=.*/, `= ${m.text}`);
    }
    return out.join('\n');
  });

it('fuzz config loader: random and mutated TOML never throws; every problem names a path', () => {
  const dir = makeTempDir();
  const path = join(dir, 'config.toml');
  fc.assert(
    fc.property(fc.oneof(mutatedDemo, hostileText(60)), (text) => {
      writeFileWithMode(path, text, 0o600);
      const result = loadConfig(path);
      const problems = result.ok ? result.warnings : result.errors;
      for (const problem of problems) {
        assert.equal(typeof problem.path, 'string');
        assert.ok(problem.path.length > 0 && problem.message.length > 0);
      }
    }),
    fuzzParameters('config loader', 300, 10),
  );
});
