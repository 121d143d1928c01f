import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { configFrom } from '../testkit/config.js';
import { applyForcedLine, parseInvocation } from '../src/invocation/index.js';
import { parseOperatorOptions } from '../src/invocation/parse-argv.js';
import { parseAuthorizedKeysLine, parsePrincipalsLine } from '../src/cli/_authorized-keys.js';
import { lintEntry, type LintContext } from '../src/cli/_keys-lint.js';
import { fuzzParameters, hostileText } from './_budget.js';

// check --keys (docs/config.md "portcullis check --keys"): a line it passes is restricted, and
// serve reads its command= at exactly the level, tags and identity the table shows.
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKlCxE0J+0/I+uKEbNMnJC8svDZ23WvxEaXNH0co+rlm c';
const { config, path } = configFrom('[domains.app]\ndescription = "App"\n[domains.app.actions.status]\ndescription = "s"\nlevel = "read"\nexec = ["/bin/true"]\n');
const context: LintContext = { forcedLine: true, account: null, defaultConfig: path, configAt: () => config, serveOptions: parseOperatorOptions };

const word = fc.constantFrom('--level', 'ops', 'admin', 'read', '--level=admin', '--identity', 'ci', '--tags', 'web,billing', '--tags=web', '--diagnostic', '--tag', '-c', 'x');
const command = fc
  .tuple(fc.constantFrom('portcullis', '/usr/local/bin/portcullis', 'portcullis.js', '/bin/sh'), fc.array(word, { maxLength: 6 }), fc.constantFrom(' ', '\t', '  '))
  .map(([program, words, gap]) => [program, ...words].join(gap));
const option = fc.oneof(
  fc.constantFrom('restrict', 'RESTRICT', 'pty', 'no-pty', 'no-port-forwarding', 'no-agent-forwarding', 'no-x11-forwarding', 'no-user-rc', 'from="10.0.0.1,10.0.0.2"', 'x11-forwarding', 'port-forwarding'),
  command.map((text) => `command="${text}"`),
  hostileText(8),
);
const restricted = fc
  .tuple(fc.constantFrom('restrict', 'RESTRICT', 'no-pty,no-port-forwarding,no-agent-forwarding,no-x11-forwarding'), fc.array(option, { maxLength: 3 }), command)
  .map(([restriction, extra, text]) => [restriction, ...extra, 'from="10.0.0.1"', `command="${text}"`].join(','));
const optionsField = fc.oneof({ arbitrary: restricted, weight: 3 }, { arbitrary: fc.array(option, { minLength: 1, maxLength: 6 }).map((parts) => parts.join(',')), weight: 1 });

it('fuzz: a key line check --keys passes is restricted, and serve reads it as the table says', () => {
  let passed = 0;
  fc.assert(
    fc.property(optionsField, (options) => {
      const parsed = parseAuthorizedKeysLine(`${options} ${KEY}`);
      if (parsed.kind !== 'key') return;
      const result = lintEntry(parsed, 1, context);
      if (result.findings.some((finding) => finding.error)) return;
      const o = parsed.options;
      assert.deepEqual([o.pty, o.portForwarding, o.agentForwarding, o.x11Forwarding], [false, false, false, false], options);
      assert.ok(o.command !== null);
      passed += 1;
      // Form A+B with forced_line = true, as sshd would start it for this key.
      const invocation = parseInvocation(['-c', o.command], { SSH_ORIGINAL_COMMAND: 'list' });
      assert.equal(invocation.mode, 'serve', options);
      if (invocation.mode !== 'serve') return;
      const verdict = applyForcedLine(invocation.options, invocation.forcedLine, true);
      assert.ok(verdict.ok, options);
      if (!verdict.ok) return;
      assert.deepEqual([verdict.options.level, verdict.options.tags, verdict.options.identity ?? null], [result.entry.level, result.entry.tags, result.entry.identity], options);
    }),
    fuzzParameters('check-keys', 3000),
  );
  assert.ok(passed > 0, 'no generated line passed the lint: the property was never checked');
  console.log(`check-keys: ${passed} lines passed the lint and were served as the table says`);
});

it('fuzz: no line makes the keys or principals parser throw', () => {
  fc.assert(
    fc.property(fc.oneof(hostileText(80), optionsField.map((o) => `${o} ${KEY}`), optionsField.map((o) => `${o} deploy`)), (line) => {
      for (const parsed of [parseAuthorizedKeysLine(line), parsePrincipalsLine(line)]) {
        if (parsed.kind === 'key' || parsed.kind === 'principal') lintEntry(parsed, 1, context);
      }
    }),
    fuzzParameters('keys-lines', 3000),
  );
});
