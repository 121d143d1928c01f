import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contractFloorScript, generateConfig } from '../bench/fixtures.js';
import { compiledPathFor } from '../src/config/index.js';
import { makeTempDir } from '../testkit/tmp.js';

// The bench's baselines must do what their rows say, or its ratios mean nothing. Through the
// guard, the floor must kill the action's group when /bin/true exits: the guard holds the
// pipes open, and without that kill the floor would never answer.
describe('the bench fixtures', () => {
  for (const withGuard of [false, true]) {
    it(`the contract floor${withGuard ? ' through the in-group guard' : ''} answers once, with two audit records`, () => {
      const dir = makeTempDir();
      const config = generateConfig(dir, 'big', 20);
      const script = join(dir, 'floor.js');
      writeFileSync(script, contractFloorScript(withGuard));
      const audit = join(dir, 'floor-audit.jsonl');
      const result = spawnSync(process.execPath, [script, config, compiledPathFor(config), audit], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(JSON.parse(result.stdout).ok, true);
      assert.deepEqual(readFileSync(audit, 'utf8').trim().split('\n').map((line) => JSON.parse(line).event), ['decision', 'outcome']);
    });
  }
});
