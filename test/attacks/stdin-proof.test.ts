import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signedRequestLine } from '../../src/cli/sign.js';
import { ATTACK_SECRET, makeAttackHost } from '../../testkit/attack-config.js';
import { assertOutcome, badRequestAt, ran, refused } from '../../testkit/attack-rows.js';
import { runBundle } from '../../testkit/bundle.js';
import { serveOnce } from '../../testkit/serve-once.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const now = (): string => String(Math.floor(Date.now() / 1000));
const signWithStdin = (command: string, stdinHex: string | null): string =>
  signedRequestLine(ATTACK_SECRET, 'attack-host', 'bot', now(), randomBytes(16).toString('hex'), command, stdinHex);

describe('attack catalog: +stdin_sha256 (all-or-nothing uploads)', () => {
  const host = makeAttackHost();
  const outcomes = (): number => host.audit().filter((r) => r.event === 'outcome').length;

  it('EXE-020 refuses stdin whose SHA-256 differs from +stdin_sha256 (bad_request, stdin_mismatch) and runs nothing', async () => {
    const before = outcomes();
    const truncated = await serveOnce(host.config, `+stdin_sha256=${sha256('0123456789')} app upload`, { stdin: '01234' });
    assertOutcome(truncated, refused('bad_request', 'stdin_mismatch'));
    assert.equal(outcomes(), before, 'the action ran');
    const decision = host.audit().find((r) => r.request_id === truncated.json?.request_id);
    assert.match(String(decision?.detail), /5 bytes/);
    // The whole input, hash in uppercase: runs.
    assertOutcome(await serveOnce(host.config, `+stdin_sha256=${sha256('0123456789').toUpperCase()} app upload`, { stdin: '0123456789' }), ran('10\n'));
  });

  it('EXE-021 refuses +stdin_sha256 on an action or built-in that reads no stdin, rather than ignoring it', async () => {
    const before = outcomes();
    assertOutcome(await serveOnce(host.config, `+stdin_sha256=${sha256('')} app status`), refused('bad_request', 'stdin_mismatch'));
    assertOutcome(await serveOnce(host.config, `+stdin_sha256=${sha256('')} whoami`), refused('bad_request', 'stdin_mismatch'));
    assert.equal(outcomes(), before);
  });

  it('INJ-049 refuses a +stdin_sha256 that is not 64 hex digits, at its column', async () => {
    assertOutcome(await serveOnce(host.config, `+stdin_sha256=${sha256('x').slice(1)} app upload`, { stdin: 'x' }), badRequestAt(1));
    assertOutcome(await serveOnce(host.config, `+stdin_sha256= app upload`, { stdin: '' }), badRequestAt(1));
  });

  it('INJ-050 refuses a repeated +stdin_sha256 and one placed after the domain', async () => {
    const field = `+stdin_sha256=${sha256('x')}`;
    assertOutcome(await serveOnce(host.config, `${field} ${field} app upload`, { stdin: 'x' }), badRequestAt(field.length + 2));
    assertOutcome(await serveOnce(host.config, `app upload ${field}`, { stdin: 'x' }), refused('bad_request'));
  });

  it('AUTH-030 binds the stdin hash into the proof: a signed line with other input, or an edited hash, is refused', async () => {
    const before = outcomes();
    const line = signWithStdin('app upload', sha256('good'));
    assertOutcome(await serveOnce(host.config, line, { stdin: 'evil' }), refused('bad_request', 'stdin_mismatch'));
    const edited = signWithStdin('app upload', sha256('good')).replace(sha256('good'), sha256('evil'));
    assertOutcome(await serveOnce(host.config, edited, { stdin: 'evil' }), refused('auth_failed', 'invalid'));
    const added = `${signWithStdin('app upload', null).replace(' app upload', '')} +stdin_sha256=${sha256('evil')} app upload`;
    assertOutcome(await serveOnce(host.config, added, { stdin: 'evil' }), refused('auth_failed', 'invalid'));
    assert.equal(outcomes(), before);
    assertOutcome(await serveOnce(host.config, signWithStdin('app upload', sha256('good')), { stdin: 'good' }), ran('4\n'));
  });

  it('AUTH-031 portcullis sign --stdin FILE adds the file\'s SHA-256 and signs "…LF command LF hex"', async () => {
    const file = join(host.dir, 'upload.bin');
    writeFileSync(file, 'payload\n');
    const signed = await runBundle(['sign', '--token', 'bot', '--secret-env', 'SECRET', '--server-id', 'attack-host', '--stdin', file, 'app upload'], { SECRET: ATTACK_SECRET.toString('utf8') });
    assert.equal(signed.status, 0, signed.stderr);
    const line = signed.stdout.trim();
    const fields = Object.fromEntries([...line.matchAll(/\+([a-z_0-9]+)=(\S+)/g)].map((m) => [m[1], m[2]]));
    assert.equal(fields.stdin_sha256, sha256('payload\n'));
    const message = ['portcullis-proof-v1', 'attack-host', 'bot', fields.ts, fields.nonce, 'app upload', sha256('payload\n')].join('\n');
    assert.equal(fields.proof, createHmac('sha256', ATTACK_SECRET).update(message).digest('hex'));
    assertOutcome(await serveOnce(host.config, line, { stdin: 'payload\n' }), ran('8\n'));
  });
});
