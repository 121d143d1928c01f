import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeAttackHost } from '../../testkit/attack-config.js';
import { assertOutcome, ran, refused, type Expected } from '../../testkit/attack-rows.js';
import { serveOnce } from '../../testkit/serve-once.js';

/** [ID, attack, request, operator argv, expected]. */
const ROWS: ReadonlyArray<readonly [string, string, string, readonly string[], Expected]> = [
  ['POL-001', 'refuses an admin action to a read key, naming only the level', 'app deploy channel=canary', ['--level', 'read'], refused('insufficient_level')],
  ['POL-002', 'refuses an ops action to a read key', 'app restart n=1', ['--level', 'read'], refused('insufficient_level')],
  ['POL-003', 'hides a tagged domain from an untagged key as unknown_domain', 'billing report', ['--level', 'admin'], refused('unknown_domain')],
  ['POL-004', 'hides a tagged action in a shared domain as unknown_action', 'shared private', ['--level', 'admin'], refused('unknown_action')],
  ['POL-005', 'answers help on a hidden domain with unknown_domain', 'help billing', ['--level', 'admin'], refused('unknown_domain')],
  ['POL-006', 'refuses __proto__ as a domain (not a name)', '__proto__ status', ['--level', 'admin'], refused('bad_request')],
  ['POL-007', 'looks constructor up as a plain name, not an object property', 'constructor status', ['--level', 'admin'], refused('unknown_domain')],
  ['POL-008', 'looks hasownproperty up as a plain name', 'app hasownproperty', ['--level', 'admin'], refused('unknown_action')],
  ['POL-009', 'refuses constructor as an action', 'app constructor', ['--level', 'admin'], refused('unknown_action')],
  ['POL-010', 'refuses constructor as an argument name', 'app echo constructor=x msg=y', ['--level', 'read'], refused('bad_argument')],
  ['POL-011', 'refuses __proto__ as an argument name', 'app echo __proto__=x', ['--level', 'read'], refused('bad_request')],
  ['POL-012', 'refuses a duplicated argument (parameter pollution)', 'app echo msg=safe msg=-rf', ['--level', 'read'], refused('bad_argument')],
  ['POL-013', 'refuses an undeclared argument', 'app status verbose=true', ['--level', 'read'], refused('bad_argument')],
  ['POL-014', 'checks authorization before arguments: bad arguments to a forbidden action say insufficient_level', 'app deploy channel=../../x', ['--level', 'read'], refused('insufficient_level')],
  ['POL-015', 'refuses ".." path traversal', 'files cat file=../secret.txt', ['--level', 'read'], refused('bad_argument')],
  ['POL-016', 'refuses an absolute path', 'files cat file=/etc/passwd', ['--level', 'read'], refused('bad_argument')],
  ['POL-017', 'refuses a symlink inside the root that leads outside', 'files cat file=etc-link/passwd', ['--level', 'read'], refused('bad_argument')],
  ['POL-018', 'refuses a symlink to a sibling that shares the root as prefix (allow-evil)', 'files cat file=evil-link/loot.txt', ['--level', 'read'], refused('bad_argument')],
  ['POL-019', 'refuses a dangling symlink that would create a file outside the root', 'files touch file=dangling', ['--level', 'read'], refused('bad_argument')],
  ['POL-020', 'refuses a "." segment even where the normalised path exists', 'files cat file=./notes.txt', ['--level', 'read'], refused('bad_argument')],
  ['POL-021', 'does not decode %2e%2e: it names a literal directory under the root', 'files cat file=%2e%2e/x.txt', ['--level', 'read'], ran('a literal %2e%2e directory\n')],
  ['POL-022', 'refuses an enum value that is not listed', 'app deploy channel=nightly', ['--level', 'admin'], refused('bad_argument')],
  ['POL-023', 'refuses an int written in hex', 'app restart n=0x5', ['--level', 'ops'], refused('bad_argument')],
  ['POL-024', 'refuses an int with a leading zero', 'app restart n=05', ['--level', 'ops'], refused('bad_argument')],
  ['POL-025', 'refuses an int out of range', 'app restart n=11', ['--level', 'ops'], refused('bad_argument')],
  ['POL-026', 'refuses a bool other than true/false', 'app flag on=yes', ['--level', 'read'], refused('bad_argument')],
  ['POL-027', 'stops a pattern bypass with ";" at the grammar', 'app host name=ok.example;x', ['--level', 'read'], refused('bad_request')],
  ['POL-028', 'refuses a value that matches the pattern only in part', "app host name='evil host'", ['--level', 'read'], refused('bad_argument')],
  ['POL-029', 'refuses a value over max_length (counted in code points)', `app echo msg=${'é'.repeat(65)}`, ['--level', 'read'], refused('bad_argument')],
  ['POL-030', 'refuses a missing required argument', 'app echo', ['--level', 'read'], refused('bad_argument')],
  ['POL-031', 'refuses key=value on a built-in', 'whoami level=admin', ['--level', 'read'], refused('bad_request')],
  ['POL-032', 'refuses ".." even where the result would stay inside the root', 'files cat file=sub/../notes.txt', ['--level', 'read'], refused('bad_argument')],
  ['POL-033', 'serves a legitimate path under the root (control)', 'files cat file=notes.txt', ['--level', 'read'], ran('inside the root\n')],
  ['POL-038', 'refuses an empty segment even where the normalised path exists', 'files cat file=sub//x', ['--level', 'read'], refused('bad_argument')],
  ['POL-039', 'serves a nested path under the root (control for POL-038)', 'files cat file=sub/x', ['--level', 'read'], ran('in sub\n')],
];

describe('attack catalog: POL (authorization and escalation), served in-process', () => {
  const host = makeAttackHost();
  for (const [id, attack, request, argv, expected] of ROWS) {
    it(`${id} ${attack}`, async () => assertOutcome(await serveOnce(host.config, request, { argv }), expected));
  }

  it('POL-034 names nothing about arguments when the level is too low', async () => {
    const result = await serveOnce(host.config, 'app deploy channel=nightly', { argv: ['--level', 'read'] });
    assert.deepEqual(Object.keys(result.json?.error ?? {}).sort(), ['code', 'message', 'required_level']);
  });

  it('POL-035 lists and helps only visible actions', async () => {
    const list = await serveOnce(host.config, 'list', { argv: ['--level', 'read'] });
    const lines = list.json?.actions as string[];
    assert.ok(lines.some((l) => l.startsWith('app status')));
    assert.ok(!lines.some((l) => l.startsWith('app deploy') || l.startsWith('billing') || l.startsWith('shared private')));
    const help = JSON.stringify((await serveOnce(host.config, 'help', { argv: ['--level', 'read'] })).json);
    assert.ok(!help.includes('"deploy"') && !help.includes('"private"') && !help.includes('billing'));
  });

  it('POL-036 gives the identical answer for a hidden and a missing domain', async () => {
    const hidden = await serveOnce(host.config, 'billing report', { argv: ['--level', 'admin'] });
    const missing = await serveOnce(host.config, 'billinh report', { argv: ['--level', 'admin'] });
    assert.deepEqual({ ...hidden.json?.error, message: '' }, { ...missing.json?.error, message: '' });
    assert.equal(hidden.json?.error?.message.replace('billing', 'X'), missing.json?.error?.message.replace('billinh', 'X'));
  });

  it('POL-037 creates nothing outside the root through a refused dangling symlink', async () => {
    await serveOnce(host.config, 'files touch file=dangling', { argv: ['--level', 'read'] });
    assert.equal(existsSync(join(host.dir, 'created-outside.txt')), false);
  });
});
