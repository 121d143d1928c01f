import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyForcedLine, parseInvocation } from '../src/invocation/index.js';
import { fuzzParameters, hostileText } from './_budget.js';

// Forced-line trust (docs/protocol.md §2.1): whatever a client writes as its -c text beside a
// SSH_ORIGINAL_COMMAND it set itself, an untrusted line changes no option.
const optionLike = fc.constantFrom('--level', 'admin', '--level=admin', '--identity', 'root', '--tags', 'billing', '--config', '/tmp/x.toml', '--config=/tmp/x.toml', '--diagnostic', '-c', 'portcullis', '');
const clientLine = fc.oneof(
  fc.tuple(fc.array(fc.oneof(optionLike, hostileText(12)), { maxLength: 10 }), fc.constantFrom(' ', '\t', '  ')).map(([words, gap]) => words.join(gap)),
  hostileText(64),
);

it('fuzz: an untrusted -c line never changes the serve options', () => {
  const base = ['--config', '/etc/portcullis/config.toml', '--level', 'read'];
  // Under sshd: outside it, details are shown on purpose (docs/protocol.md §2.1).
  const sshd = { SSH_CONNECTION: '192.0.2.1 5555 192.0.2.2 22' };
  const expected = parseInvocation(base, sshd);
  assert.equal(expected.mode, 'serve');
  fc.assert(
    fc.property(clientLine, hostileText(32), (line, request) => {
      const r = parseInvocation([...base, '-c', line], { ...sshd, SSH_ORIGINAL_COMMAND: request });
      assert.equal(r.mode, 'serve');
      if (r.mode !== 'serve' || expected.mode !== 'serve') return;
      assert.deepEqual(r.options, expected.options);
      const verdict = applyForcedLine(r.options, r.forcedLine, false);
      if (verdict.ok) assert.deepEqual(verdict.options, expected.options);
      else assert.equal(verdict.diagnostic, false);
    }),
    fuzzParameters('forced-line', 2000),
  );
});
