import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type StdioOptions } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, readAudit } from '../../testkit/process.js';
import { serveOnce } from '../../testkit/serve-once.js';
import { BUNDLE, parseSingleJsonLine } from '../../testkit/sshd.js';
import { makeTempDir, serverTable, writeFileWithMode } from '../../testkit/tmp.js';

/** A host with the actions that probe the edges of starting a child. */
function edgeHost(): { dir: string; config: string; audit: () => Array<Record<string, any>> } {
  const dir = makeTempDir('portcullis-edges-');
  writeFileWithMode(join(dir, 'not-executable'), '#!/bin/sh\necho ran\n', 0o644);
  const body = `
[domains.x]
description = "Edges of execution"
[domains.x.actions.fds]
description = "Lists the descriptors of every process in its group"
level = "read"
exec = ["/bin/sh", "-c", "for p in $(pgrep -g $$); do ls -l /proc/$p/fd; done 2>/dev/null"]
[domains.x.actions.sleep]
description = "Sleeps long, with a short timeout"
level = "read"
timeout = 2
exec = ["/bin/sleep", "30"]
[domains.x.actions.env]
description = "Prints its environment"
level = "read"
exec = ["/usr/bin/env"]
[domains.x.actions.code]
description = "Exits 7"
level = "read"
exec = ["/bin/sh", "-c", "exit 7"]
[domains.x.actions.notexec]
description = "exec[0] lacks the execute bit"
level = "read"
exec = ["${dir}/not-executable"]
[domains.x.actions.upload]
description = "Writes its stdin to a file"
level = "read"
exec = ["/usr/bin/tee", "${dir}/uploaded"]
stdin = { max_bytes = 1000000 }
`;
  const config = writeFileWithMode(join(dir, 'config.toml'), serverTable(dir, 'kill_grace = 1') + body, 0o600);
  return { dir, config, audit: () => readAudit(join(dir, 'audit.jsonl')) };
}

function bundle(config: string, request: string, stdio: StdioOptions) {
  return spawn(BUNDLE, ['--level', 'read'], {
    env: { PATH: '/usr/bin:/bin', PORTCULLIS_CONFIG: config, SSH_ORIGINAL_COMMAND: request },
    stdio,
  });
}

const groupMembers = (pgid: number): string => spawnSync('pgrep', ['-g', String(pgid)], { encoding: 'utf8' }).stdout.trim();

describe('attack catalog: EXE (edges of starting a child)', () => {
  const host = edgeHost();

  it('EXE-015 passes no descriptor Portcullis inherited (3 and 40 here) to the action or its guard', async () => {
    const marker = openSync(join(host.dir, 'inherited-marker'), 'w');
    try {
      // A login wrapper's open files: dup2 into the bundle clears close-on-exec on them.
      const stdio: StdioOptions = ['ignore', 'pipe', 'pipe', ...Array.from({ length: 38 }, (_, i) => (i === 0 || i === 37 ? marker : 'ignore'))];
      const child = bundle(host.config, 'x fds', stdio);
      let stdout = '';
      child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
      await new Promise((r) => child.on('close', r));
      const listing = String(parseSingleJsonLine(stdout)?.stdout);
      assert.ok((listing.match(/^total/gm) ?? []).length >= 2, `the action and its guard were not both listed: ${listing}`);
      assert.ok(!listing.includes('inherited-marker'), `an inherited descriptor reached the group:\n${listing}`);
    } finally {
      closeSync(marker);
    }
  });

  it('EXE-016 kills the action\'s group when Portcullis is SIGKILLed at the moment the child appears', async () => {
    const child = bundle(host.config, 'x sleep', ['ignore', 'ignore', 'ignore']);
    const pid = child.pid as number;
    let actionPid = 0;
    for (const start = Date.now(); actionPid === 0 && Date.now() - start < 10000; await new Promise((r) => setImmediate(r))) {
      try {
        actionPid = Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0]) || 0;
      } catch {
        break;
      }
    }
    process.kill(pid, 'SIGKILL');
    assert.ok(actionPid > 1, 'the action never started');
    try {
      let members = groupMembers(actionPid);
      for (const start = Date.now(); members !== '' && Date.now() - start < 3000; members = groupMembers(actionPid)) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(members, '', `the group of ${actionPid} outlived its Portcullis`);
      assert.ok(!isAlive(actionPid));
    } finally {
      try {
        process.kill(-actionPid, 'SIGKILL');
      } catch {
        // Already gone, as it should be.
      }
    }
  });

  it('EXE-017 starts the action with its own exit status and exactly the configured environment (no PWD from the launcher)', async () => {
    const code = await serveOnce(host.config, 'x code');
    assert.equal(code.status, 7);
    assert.equal(code.json?.exit_code, 7);
    const env = await serveOnce(host.config, 'x env');
    const names = String(env.json?.stdout).trim().split('\n').map((line) => line.split('=')[0]).sort();
    assert.deepEqual(names, ['LANG', 'PATH', 'PORTCULLIS_ACTION', 'PORTCULLIS_DOMAIN', 'PORTCULLIS_IDENTITY', 'PORTCULLIS_LEVEL', 'PORTCULLIS_REQUEST_ID']);
  });

  it('EXE-018 answers exec_failed (126) for an exec[0] without the execute bit: no shell runs it as a script', async () => {
    const result = await serveOnce(host.config, 'x notexec');
    assert.equal(result.json?.error?.code, 'exec_failed');
    assert.equal(result.status, 126);
  });

  it('EXE-019 runs nothing when the answer channel closed before the child starts; the outcome is aborted', async () => {
    const child = bundle(host.config, 'x upload', ['pipe', 'pipe', 'ignore']);
    child.stdin?.write('partial upload');
    // The client is gone: nobody reads the answer any more. Then the input "ends".
    child.stdout?.destroy();
    await new Promise((r) => setTimeout(r, 200));
    child.stdin?.end();
    await new Promise((r) => child.on('close', r));
    assert.equal(existsSync(join(host.dir, 'uploaded')), false, 'the action ran on a truncated upload');
    const outcome = host.audit().find((r) => r.event === 'outcome' && r.action === 'upload');
    assert.equal(outcome?.error, 'aborted');
    assert.equal(outcome?.exit_code, null);
    assert.match(String(outcome?.detail), /client gone/);
  });
});
