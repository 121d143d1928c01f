import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeAttackHost, type AttackHost } from '../../testkit/attack-config.js';
import { assertOutcome, ran, refused } from '../../testkit/attack-rows.js';
import { serveOnce } from '../../testkit/serve-once.js';
import { UNTRUSTED_FORCED_LINE } from '../../src/invocation/index.js';

// Forced-line trust (docs/protocol.md §2.1, ADR 0014), served in-process: a client that can set
// SSH_ORIGINAL_COMMAND itself (form B with a lax AcceptEnv/SetEnv) also writes the -c line.

const UNDER_SSHD = { SSH_CONNECTION: '192.0.2.1 5555 192.0.2.2 22' };
const optedIn = (): AttackHost => makeAttackHost('id = "attack-host"\nforced_line = true');

/** The one decision record of a refused request; asserts that nothing ran. */
function refusalRecord(host: AttackHost, requestId: unknown): Record<string, any> {
  const records = host.audit().filter((rec) => rec.request_id === requestId);
  assert.deepEqual(records.map((rec) => rec.event), ['decision'], 'a decision record and no outcome');
  const record = records[0] as Record<string, any>;
  assert.equal(record.decision, 'deny');
  assert.equal(record.error, 'service_unavailable');
  return record;
}

describe('attacks: forced-line trust', () => {
  it('INJ-043 does not take options from a client\'s -c text beside SSH_ORIGINAL_COMMAND without the opt-in', async () => {
    const host = makeAttackHost();
    const r = await serveOnce(host.config, 'app deploy', { argv: ['--config', host.config, '-c', 'x --level admin --identity forged'], env: UNDER_SSHD });
    assertOutcome(r, refused('service_unavailable'));
    assert.equal(r.json?.error?.detail, undefined);
    const record = refusalRecord(host, r.json?.request_id);
    assert.equal(record.detail, UNTRUSTED_FORCED_LINE);
    assert.equal(record.identity, 'attacker', 'the identity before -c, not the forged one');
    assert.equal(record.level, 'read');
    assert.equal(record.request, 'app deploy');
  });

  it('INJ-044 does not let a client\'s -c text switch on --diagnostic', async () => {
    const host = makeAttackHost();
    const r = await serveOnce(host.config, 'app status', { argv: ['--config', host.config, '-c', 'x --diagnostic'], env: UNDER_SSHD });
    assertOutcome(r, refused('service_unavailable'));
    assert.equal(r.json?.error?.detail, undefined);
    assert.equal(r.stderr, 'portcullis: service_unavailable: service unavailable\n');
    assert.equal(refusalRecord(host, r.json?.request_id).detail, UNTRUSTED_FORCED_LINE);
  });

  it('CFG-031 reads the opt-in only from the config named before -c, never from one the -c line names', async () => {
    const base = makeAttackHost();
    const elsewhere = optedIn();
    const r = await serveOnce(base.config, 'app deploy', { argv: ['--config', base.config, '-c', `x --config ${elsewhere.config} --level admin`], env: UNDER_SSHD });
    assertOutcome(r, refused('service_unavailable'));
    assert.equal(refusalRecord(base, r.json?.request_id).detail, UNTRUSTED_FORCED_LINE);
    assert.deepEqual(elsewhere.audit(), [], 'the config named by the -c line is never used');

    // Control: with the opt-in in the config before -c, the same line applies, --config included.
    const trusting = optedIn();
    const applied = await serveOnce(trusting.config, 'app deploy', { argv: ['--config', trusting.config, '-c', `x --config ${elsewhere.config} --level admin`], env: UNDER_SSHD });
    assertOutcome(applied, ran('deployed stable\n'));
    assert.equal(elsewhere.audit().filter((rec) => rec.request_id === applied.json?.request_id).length, 2, 'served from the config the trusted line names');
    assert.deepEqual(trusting.audit(), []);
  });

  it('CFG-032 refuses a repeated option on the operator\'s line, and in a trusted forced line with its trace', async () => {
    const host = optedIn();
    const before = await serveOnce(host.config, 'app deploy', { argv: ['--config', host.config, '--level', 'read', '--level', 'admin'], env: UNDER_SSHD });
    assertOutcome(before, refused('service_unavailable'));
    const forced = await serveOnce(host.config, 'app deploy', { argv: ['--config', host.config, '-c', 'x --level read --level admin --diagnostic'], env: UNDER_SSHD });
    assertOutcome(forced, refused('service_unavailable'));
    assert.match(String(forced.json?.error?.detail), /--level given twice/, 'the trusted line\'s --diagnostic counts beside a bad option');
    assert.match(String(refusalRecord(host, forced.json?.request_id).detail), /--level given twice/);
  });

  it('CFG-033 does not take the opt-in from a client-set PORTCULLIS_CONFIG under sshd', async () => {
    const host = optedIn();
    const r = await serveOnce(host.config, 'app deploy', { argv: ['-c', `x --config ${host.config} --level admin`], env: { ...UNDER_SSHD, PORTCULLIS_CONFIG: host.config } });
    assertOutcome(r, refused('service_unavailable'));
    assert.deepEqual(host.audit(), [], 'the client-named config neither decided the trust nor served');
  });

  it('serves a -c line of only the program name at the options before -c, without the opt-in (form A through a login shell)', async () => {
    const host = makeAttackHost();
    const r = await serveOnce(host.config, 'app restart n=1', { argv: ['--config', host.config, '--level', 'ops', '-c', '/usr/local/bin/portcullis'], env: UNDER_SSHD });
    assertOutcome(r, ran('restarted 1\n'));
  });

  it('applies a trusted forced line: its level and identity win over those before -c', async () => {
    const host = optedIn();
    const r = await serveOnce(host.config, 'whoami', { argv: ['--config', host.config, '--identity', 'wrapper', '-c', 'portcullis --level admin --identity key1 --tags billing'], env: UNDER_SSHD });
    assert.equal(r.json?.level, 'admin');
    assert.equal(r.json?.identity, 'key1');
    assert.deepEqual(r.json?.tags, ['billing']);
  });
});
