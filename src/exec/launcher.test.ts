import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { launcherArgs } from './_launcher.js';

/**
 * Runs /usr/bin/env through the launcher under `shell`, as run-action does: its own process
 * group, descriptor 3 held by us (closing it afterwards lets the guard end the group).
 */
async function envThrough(shell: string, env: Record<string, string>): Promise<string[]> {
  const child = spawn(shell, launcherArgs('/usr/bin/env', [], env), { env, detached: true, stdio: ['ignore', 'pipe', 'ignore', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  // Not 'close': the guard holds descriptor 3 until we let go of it.
  const code = await new Promise<number | null>((resolve) => child.on('exit', (status) => resolve(status)));
  await new Promise((resolve) => (child.stdout?.readableEnded ? resolve(null) : child.stdout?.on('end', resolve)));
  child.stdio[3]?.destroy();
  assert.equal(code, 0);
  return out.trim().split('\n').map((line) => line.split('=')[0] as string).sort();
}

describe('the action launcher', () => {
  for (const shell of ['/bin/dash', '/bin/bash']) {
    it(`passes exactly the configured environment under ${shell}`, { skip: existsSync(shell) ? false : `no ${shell}` }, async () => {
      assert.deepEqual(await envThrough(shell, { A: '1', LANG: 'C.UTF-8' }), ['A', 'LANG']);
      assert.deepEqual(await envThrough(shell, { A: '1', PWD: '/srv' }), ['A', 'PWD']);
    });
  }
});
