import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeAttackHost } from '../../testkit/attack-config.js';
import { assertOutcome } from '../../testkit/attack-rows.js';
import { BUNDLE, runProcess } from '../../testkit/sshd.js';

// The key id of a user certificate is text its CA chose; in certificate mode it reaches the
// audit log (docs/protocol.md §8, `key_id`). A careless or hostile CA must not be able to
// split, forge or bloat records through it.

describe('attack catalog: a certificate key id in the audit log', () => {
  it('AUTH-041 records a key id with a newline, a forged record, U+2028 and 5,000 more characters as one capped, escaped string', async () => {
    const host = makeAttackHost();
    const key = join(host.dir, 'user');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ca', '-f', join(host.dir, 'ca')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const keyId = `evil\n{"event":"decision","identity":"root"}\u2028${'y'.repeat(5000)}`;
    execFileSync('ssh-keygen', ['-q', '-s', join(host.dir, 'ca'), '-I', keyId, '-n', 'deploy', '-V', '+5m', `${key}.pub`]);
    const info = join(host.dir, 'auth-info');
    writeFileSync(info, `publickey ${readFileSync(`${key}-cert.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`, { mode: 0o600 });
    const env = { PATH: '/usr/local/bin:/usr/bin:/bin', SSH_ORIGINAL_COMMAND: 'app status', SSH_USER_AUTH: info, SSH_CONNECTION: '192.0.2.1 5 192.0.2.2 22' };
    assertOutcome(await runProcess(BUNDLE, ['--config', host.config], undefined, 30000, env), { ran: 'status ok\n', exit: 0 });
    const raw = readFileSync(join(host.dir, 'audit.jsonl'), 'utf8');
    assert.equal(raw.split('\n').length, 3, 'two records, one line each');
    assert.equal(raw.includes('\u2028'), false, 'U+2028 is written escaped');
    const records = host.audit();
    assert.deepEqual(records.map((record) => [record.event, record.key_id]), [
      ['decision', `${keyId.slice(0, 256)}…`],
      ['outcome', `${keyId.slice(0, 256)}…`],
    ]);
  });
});
