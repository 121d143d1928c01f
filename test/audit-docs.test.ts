import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, renameSync } from 'node:fs';
import { resolve } from 'node:path';
import { makeChainHost, readLines, writeLines } from '../testkit/audit-chain.js';
import { BUNDLE } from '../testkit/sshd.js';

// The recipes of docs/audit.md, run on logs the bundle wrote, so they cannot rot.
const GUIDE = readFileSync(resolve(__dirname, '..', '..', 'docs', 'audit.md'), 'utf8');

function recipe(name: string, log: string): string {
  const body = new RegExp(`<!-- recipe:${name} -->\\n\`\`\`bash\\n([\\s\\S]*?)\`\`\``).exec(GUIDE)?.[1];
  assert.ok(body !== undefined, `recipe ${name} is missing from docs/audit.md`);
  return body.replaceAll('/var/log/portcullis/audit.jsonl', log).replaceAll('portcullis verify-audit', `${BUNDLE} verify-audit`);
}

function run(script: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the recipes of docs/audit.md', () => {
  it('the Python verifier, written from the byte form alone, accepts the bundle\'s chain and rejects an edit', () => {
    const host = makeChainHost();
    for (let i = 0; i < 3; i++) assert.equal(host.run(`t echo msg="é ${i}"`).status, 0);
    const intact = run(recipe('python-verify', host.log));
    assert.equal(intact.status, 0, intact.stderr);
    assert.match(intact.stdout, /intact: 6 records/);
    const lines = readLines(host.log);
    lines[3] = (lines[3] as string).replace('"identity":"', '"identity":"x');
    writeLines(host.log, lines);
    const edited = run(recipe('python-verify', host.log));
    assert.notEqual(edited.status, 0);
    assert.match(edited.stderr, /line 4: edited/);
  });

  it('the seam recipe accepts a rotated log and its successor, and refuses a successor of another chain', () => {
    const host = makeChainHost();
    assert.equal(host.run('t echo msg=one').status, 0);
    renameSync(host.log, `${host.log}.1`);
    assert.equal(host.run('t echo msg=two').status, 0);
    const ok = run(recipe('seam', host.log));
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /seam ok/);
    // The successor of another host's chain does not fit this seam.
    const other = makeChainHost();
    assert.equal(other.run('t echo msg=x').status, 0);
    renameSync(other.log, host.log);
    assert.notEqual(run(recipe('seam', host.log)).status, 0);
  });
});
