import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { assertOutcome, badRequestAt, ran, refused } from '../../testkit/attack-rows.js';
import { serveOnce } from '../../testkit/serve-once.js';
import { BUNDLE, runProcess } from '../../testkit/sshd.js';
import { makeValuesHost } from '../../testkit/values-host.js';

describe('attack catalog: argument values (POL, INJ, OUT), served in-process', () => {
  const host = makeValuesHost();

  it('POL-040 refuses a negative int when min is not written (kill -s 0 -1 signals every process)', async () => {
    assertOutcome(await serveOnce(host.config, 'v signal pid=-1'), refused('bad_argument'));
    assertOutcome(await serveOnce(host.config, 'v signal pid=1234'), ran('kill -s 0 1234\n'));
  });

  it('POL-041 accepts a negative int when min is written below 0 (control for POL-040)', async () => {
    assertOutcome(await serveOnce(host.config, 'v offset n=-10'), ran('-10\n'));
    assertOutcome(await serveOnce(host.config, 'v offset n=-11'), refused('bad_argument'));
  });

  it('POL-043 matches the pattern of issue 5 with ECMAScript meaning (controls for POL-042)', async () => {
    assertOutcome(await serveOnce(host.config, 'v label label=web-01-blue'), ran('web-01-blue\n'));
    assertOutcome(await serveOnce(host.config, 'v label label=web--01'), refused('bad_argument'));
    assertOutcome(await serveOnce(host.config, 'v label label=Web'), refused('bad_argument'));
  });

  it('POL-045 substitutes a symlink inside the root that points inside by its target', async () => {
    const result = await serveOnce(host.config, 'v show file=link/f.txt');
    assertOutcome(result, ran(`${realpathSync(host.root)}/inside/f.txt\n`));
    const created = await serveOnce(host.config, 'v show file=link/new/deeper.txt');
    assertOutcome(created, ran(`${realpathSync(host.root)}/inside/new/deeper.txt\n`));
  });

  it('POL-046 keeps a symlink retargeted outside the root after the check from redirecting the program', async () => {
    // The action itself retargets `moving` to a directory outside the root between the check
    // and its own open: the race of issue 8, made deterministic.
    assertOutcome(await serveOnce(host.config, 'v retarget file=moving/f.txt'), ran('inside the root\n'));
  });

  it('POL-047 ends a request whose stop signal came during the argument checks, before the action, with its record', async () => {
    const signal = new AbortController();
    signal.abort();
    const result = await serveOnce(host.config, 'v marker', { abort: signal.signal });
    assertOutcome(result, refused('service_unavailable'));
    assert.equal(existsSync(join(host.dir, 'ran')), false, 'the action ran after the signal');
    const records = host.audit().filter((record) => record.request_id === result.json?.request_id);
    assert.deepEqual(records.map((record) => [record.event, record.decision, record.error]), [['decision', 'deny', 'service_unavailable']]);
    assert.equal(typeof records[0]?.detail, 'string', 'the record says why');
  });

  it('INJ-045 refuses U+2028 (line separator) even quoted, with its column', async () => {
    assertOutcome(await serveOnce(host.config, "v label label='a\u2028b'"), badRequestAt(17));
  });

  it('INJ-046 refuses U+2029 (paragraph separator) even quoted, with its column', async () => {
    assertOutcome(await serveOnce(host.config, "v label label='a\u2029b'"), badRequestAt(17));
  });

  it('OUT-023 escapes U+2028/U+2029 from a program in the answer and keeps every audit record one line', async () => {
    const result = await serveOnce(host.config, 'v separators');
    assertOutcome(result, ran('line one\u2028line two\u2029line three\n'));
    assert.ok(!/[\u2028\u2029]/.test(result.stdout), 'a raw separator in the answer');
    assert.ok(result.stdout.includes('line one\\u2028line two\\u2029line three'));
    // A request that carried one is refused, and its logged text is escaped too.
    await serveOnce(host.config, "v label label='x\u2028{\"event\":\"outcome\"}'");
    const log = readFileSync(join(host.dir, 'audit.jsonl'), 'utf8');
    assert.ok(!/[\u2028\u2029]/.test(log), 'a raw separator in the audit log');
    assert.ok(log.includes('\\u2028'), 'the refused request is logged, escaped');
  });
});

describe('attack catalog: a hostile pattern through the real bundle', () => {
  it('POL-042 answers bad_argument at once for the pattern of issue 5 and a 40-character value, with its record', async () => {
    const host = makeValuesHost();
    const value = `${'a'.repeat(39)}!`;
    // A generous kill, not a timing assertion: a backtracking engine takes hours here.
    const result = await runProcess(BUNDLE, ['--config', host.config, '--level', 'read'], undefined, 20000, {
      PATH: '/usr/bin:/bin',
      SSH_ORIGINAL_COMMAND: `v label label='${value}'`,
    });
    assertOutcome(result, refused('bad_argument'));
    assert.equal(result.json?.error?.argument, 'label');
    const records = host.audit();
    assert.deepEqual(records.map((record) => [record.event, record.error]), [['decision', 'bad_argument']]);
  });
});
