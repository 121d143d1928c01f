import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeAttackHost } from '../testkit/attack-config.js';
import { runBundle } from '../testkit/bundle.js';

// The jq recipes of docs/install.md, run on a log the bundle wrote, so they cannot rot.
const INSTALL_GUIDE = readFileSync(resolve(__dirname, '..', '..', 'docs', 'install.md'), 'utf8');

function recipe(name: string, log: string): string {
  const body = new RegExp(`<!-- recipe:${name} -->\\n\`\`\`bash\\n([\\s\\S]*?)\`\`\``).exec(INSTALL_GUIDE)?.[1];
  assert.ok(body !== undefined, `recipe ${name} is missing from docs/install.md`);
  return body.replaceAll('/var/log/portcullis/audit.jsonl', log);
}

function run(script: string): string {
  const result = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

describe('the audit log recipes of docs/install.md', () => {
  it('list the refusals with their reason, and the runs with how they ended', async () => {
    const host = makeAttackHost();
    const log = join(host.dir, 'audit.jsonl');
    const env = { PORTCULLIS_CONFIG: host.config };
    await runBundle(['--identity', 'ci'], { ...env, SSH_ORIGINAL_COMMAND: 'app status' });
    await runBundle(['--identity', 'ci'], { ...env, SSH_ORIGINAL_COMMAND: 'app deploy channel=stable' });
    await runBundle(['--identity', 'ci'], { ...env, SSH_ORIGINAL_COMMAND: 'app status; id' });

    const refusals = run(recipe('jq-refusals', log)).trim().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(refusals.map((r) => [r.identity, r.request, r.error]), [
      ['ci', 'app deploy channel=stable', 'insufficient_level'],
      ['ci', 'app status; id', 'bad_request'],
    ]);
    const outcomes = run(recipe('jq-outcomes', log)).trim().split('\n').map((line) => line.split('\t'));
    assert.equal(outcomes.length, 1);
    assert.deepEqual(outcomes[0]?.slice(1, 4), ['ci', 'app status', '0']);
  });
});
