import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { checkArgValue, type ArgSpec } from '../src/config/index.js';
import { LinearPattern } from '../src/config/linear-pattern.js';
import { resolveUnderRoot } from '../src/policy/index.js';
import { makeTempDir } from '../testkit/tmp.js';
import { fuzzParameters, hostileText } from './_budget.js';

const common = { name: 'x', description: '', required: true, default: null, sensitive: false };
const specs: ArgSpec[] = [
  { ...common, type: 'string', maxLength: 16, minLength: 1, pattern: LinearPattern.fromValidated('[a-z0-9.-]+'), patternSource: '[a-z0-9.-]+', allowLeadingDash: false },
  { ...common, type: 'string', maxLength: 256, minLength: 0, pattern: null, patternSource: null, allowLeadingDash: false },
  { ...common, type: 'enum', values: ['a', 'b', '-c'] },
  { ...common, type: 'int', min: -5, max: 5 },
  { ...common, type: 'bool' },
];

it('fuzz argument validators: never throw; accepted values honour every rule', () => {
  fc.assert(
    fc.property(fc.constantFrom(...specs), hostileText(12), (spec, value) => {
      const checked = checkArgValue(spec, value);
      if ('error' in checked) return;
      if (spec.type === 'string') {
        assert.ok(!checked.value.startsWith('-'), 'a leading dash passed');
        assert.ok([...checked.value].length <= spec.maxLength);
        if (spec.pattern) assert.match(checked.value, /^(?:[a-z0-9.-]+)$/u);
      }
      if (spec.type === 'enum') assert.ok(spec.values.includes(checked.value));
      if (spec.type === 'int') assert.ok(Number(checked.value) >= -5 && Number(checked.value) <= 5 && /^-?\d+$/.test(checked.value));
      if (spec.type === 'bool') assert.ok(checked.value === 'true' || checked.value === 'false');
    }),
    fuzzParameters('argument validators', 3000),
  );
});

it('POL-044 fuzz path arguments: an accepted path never resolves outside its root, symlinks included, and is substituted resolved', () => {
  const base = makeTempDir();
  const root = join(base, 'allow');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(join(base, 'allow-evil'));
  writeFileSync(join(root, 'sub', 'file'), 'x');
  symlinkSync('/etc', join(root, 'etc-link'));
  symlinkSync('../allow-evil', join(root, 'sibling-link'));
  symlinkSync('sub', join(root, 'inner-link'));
  symlinkSync('/nonexistent/dangling', join(root, 'dangling'));
  const realRoot = realpathSync(root);
  const segment = fc.constantFrom('sub', 'file', 'etc-link', 'sibling-link', 'inner-link', 'dangling', '..', '.', '', 'new', '..%2f', 'passwd');
  fc.assert(
    fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.boolean(), (segments, mustExist) => {
      const relative = segments.join('/');
      const syntax = checkArgValue({ ...common, type: 'path', root, mustExist }, relative);
      if ('error' in syntax) return;
      const resolved = resolveUnderRoot(root, syntax.value, mustExist);
      if ('error' in resolved) return;
      let probe = resolved.value;
      for (;;) {
        try {
          const real = realpathSync(probe);
          assert.equal(real, probe, `${relative} was substituted unresolved`);
          assert.ok(real === realRoot || real.startsWith(`${realRoot}/`), `${relative} escaped to ${real}`);
          return;
        } catch {
          probe = join(probe, '..');
        }
      }
    }),
    fuzzParameters('path containment', 1000, 10),
  );
});
