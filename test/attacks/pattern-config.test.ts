import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { compiledPathFor } from '../../src/config/index.js';
import { assertOutcome, ran, refused } from '../../testkit/attack-rows.js';
import { serveOnce } from '../../testkit/serve-once.js';
import { BUNDLE } from '../../testkit/sshd.js';
import { ADVERSARIAL_PATTERN, makeValuesHost, type ValuesHost } from '../../testkit/values-host.js';

/** The label argument's pattern, as TOML holds it (a TOML basic string: backslashes doubled). */
function withLabelPattern(host: ValuesHost, tomlPattern: string): void {
  writeFileSync(host.config, readFileSync(host.config, 'utf8').replace(`pattern = "${ADVERSARIAL_PATTERN}"`, `pattern = "${tomlPattern}"`));
}

function check(host: ValuesHost, ...extra: string[]): { status: number | null; report: { ok: boolean; errors: Array<{ path: string }> } } {
  const result = spawnSync(BUNDLE, ['check', '--config', host.config, '--json', ...extra], { encoding: 'utf8' });
  return { status: result.status, report: JSON.parse(result.stdout) };
}

/** Refused everywhere a config is read: serving (full loader), check, and check --compile writes nothing. */
async function assertRefusedAtLoad(host: ValuesHost, path: string): Promise<void> {
  const served = await serveOnce(host.config, 'v label label=abc');
  assertOutcome(served, refused('service_unavailable'));
  const checked = check(host, '--compile');
  assert.equal(checked.status, 129);
  assert.ok(checked.report.errors.some((error) => error.path === path), JSON.stringify(checked.report.errors));
  assert.equal(existsSync(compiledPathFor(host.config)), false, 'a compiled form was written');
}

const LABEL_PATTERN = 'domains.v.actions.label.args.label.pattern';

describe('attack catalog: CFG (patterns and int bounds at load)', () => {
  it('CFG-041 refuses a pattern with a backreference, which no linear matcher can run', async () => {
    for (const pattern of ['(a)\\\\1', '(?<x>a)\\\\k<x>']) {
      const host = makeValuesHost();
      withLabelPattern(host, pattern);
      await assertRefusedAtLoad(host, LABEL_PATTERN);
    }
  });

  it('CFG-042 refuses a pattern with lookahead or lookbehind', async () => {
    for (const pattern of ['(?=a)[a-z]+', '(?!-)[a-z-]+', '(?<=a)b', '(?<!a)b']) {
      const host = makeValuesHost();
      withLabelPattern(host, pattern);
      await assertRefusedAtLoad(host, LABEL_PATTERN);
    }
  });

  it('CFG-043 fails closed when a compiled form carries a pattern that cannot run linearly', async () => {
    const host = makeValuesHost();
    const checked = check(host, '--compile');
    assert.equal(checked.status, 0, JSON.stringify(checked.report));
    const compiled = compiledPathFor(host.config);
    assertOutcome(await serveOnce(host.config, 'v label label=abc'), ran('abc\n'));
    // The owner edits the compiled form by hand; the source hash still matches.
    writeFileSync(compiled, readFileSync(compiled, 'utf8').replace(JSON.stringify(ADVERSARIAL_PATTERN), JSON.stringify('(a)\\1')));
    const served = await serveOnce(host.config, 'v label label=abc');
    assertOutcome(served, refused('service_unavailable'));
    const records = host.audit().filter((record) => record.request_id === served.json?.request_id);
    assert.deepEqual(records.map((record) => [record.event, record.error]), [['decision', 'service_unavailable']]);
  });

  it('CFG-044 refuses an int whose max is below 0 when min is not written (min is then 0)', async () => {
    const host = makeValuesHost();
    writeFileSync(host.config, readFileSync(host.config, 'utf8').replace('[domains.v.actions.signal.args.pid]\ntype = "int"\n', '[domains.v.actions.signal.args.pid]\ntype = "int"\nmax = -1\n'));
    assertOutcome(await serveOnce(host.config, 'v signal pid=-1'), refused('service_unavailable'));
    const checked = check(host);
    assert.equal(checked.status, 129);
    assert.ok(checked.report.errors.some((error) => error.path === 'domains.v.actions.signal.args.pid.max'), JSON.stringify(checked.report.errors));
  });
});
