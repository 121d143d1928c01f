import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSsh } from './ssh.js';
import type { HostConfig } from './config.js';
import { makeTempDir, writeFileWithMode } from '../../testkit/tmp.js';

/** The argv the bridge gives ssh, caught by a stand-in `ssh` first on PATH. */
async function sshArgv(host: HostConfig, command: string): Promise<string[]> {
  const dir = makeTempDir();
  const out = join(dir, 'argv');
  writeFileWithMode(join(dir, 'ssh'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\0' "$a"; done > '${out}'\n`, 0o755);
  const path = process.env.PATH;
  process.env.PATH = `${dir}:${path ?? ''}`;
  try {
    await spawnSsh(host, command).exited;
  } finally {
    process.env.PATH = path;
  }
  return readFileSync(out, 'utf8').split('\0').slice(0, -1);
}

const host = (sshOptions: string[]): HostConfig => ({ alias: 'web', ssh: 'svc@web.example', sshOptions, sessions: 1, refreshSeconds: 300, callTimeout: null, serverId: '', proof: null });

describe('MCP-017 the bridge\'s ssh never shares a connection, whatever the host\'s options say', () => {
  it('puts connection sharing off before the host\'s own options, which real ssh then cannot turn back on', async () => {
    const argv = await sshArgv(host(['ControlMaster=auto', 'ControlPath=/tmp/shared-%C', 'ControlPersist=yes', 'Port=2222']), 'app status');
    const destination = argv.indexOf('svc@web.example');
    assert.deepEqual(argv.slice(destination), ['svc@web.example', '--', 'app status']);
    // Real ssh resolves the options as it would connect (-G), keeping the first value of each;
    // -F /dev/null keeps the machine's ssh_config out of it.
    const resolved = execFileSync('ssh', ['-G', '-F', '/dev/null', ...argv.slice(0, destination + 1)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const value = (key: string): string | undefined => new RegExp(`^${key} (.*)$`, 'm').exec(resolved)?.[1];
    assert.equal(value('controlmaster'), 'false');
    assert.equal(value('controlpath'), undefined, 'a control path means a shared connection');
    assert.equal(value('port'), '2222', 'the host\'s other options still apply');
    assert.equal(value('batchmode'), 'yes');
  });

  it('keeps a request that looks like an option after `--`', async () => {
    const argv = await sshArgv(host([]), '-oProxyCommand=sh');
    assert.deepEqual(argv.slice(-3), ['svc@web.example', '--', '-oProxyCommand=sh']);
  });
});
