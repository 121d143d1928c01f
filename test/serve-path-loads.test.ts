import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeAttackHost } from '../testkit/attack-config.js';
import { BUNDLE } from '../testkit/sshd.js';

// The one-shot start-up rules (ADR 0009), enforced: a request served from a compiled config
// loads neither the config parsers nor the operator's commands. Checked on the test build,
// where every module is a file of its own, and on the bundle, where the cold chunk would
// need node:zlib to unpack.
const MAIN = resolve(__dirname, '..', 'src', 'main.js');

/** Records, at exit, the modules this process loaded: files and Node built-ins. */
const PROBE = `
const { writeFileSync } = require('node:fs');
process.on('exit', () => writeFileSync(process.env.LOADS_OUT, JSON.stringify({
  files: Object.keys(require.cache),
  builtins: process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)),
})));
`;

function servedLoads(entry: string, request: string): { files: string[]; builtins: string[] } {
  const host = makeAttackHost();
  const compiled = spawnSync(BUNDLE, ['check', '--config', host.config, '--compile'], { encoding: 'utf8' });
  assert.ok(compiled.status === 0 || compiled.status === 129, compiled.stderr);
  const probe = join(host.dir, 'probe.cjs');
  writeFileSync(probe, PROBE);
  const out = join(host.dir, 'loads.json');
  const result = spawnSync(process.execPath, ['--require', probe, entry, '--config', host.config], {
    env: { PATH: '/usr/bin:/bin', SSH_ORIGINAL_COMMAND: request, SSH_CONNECTION: '192.0.2.1 5 192.0.2.2 22', LOADS_OUT: out },
    encoding: 'utf8',
  });
  assert.match(result.stdout, /"ok":true/, result.stdout + result.stderr);
  return JSON.parse(readFileSync(out, 'utf8'));
}

const COLD_FILES = /node_modules\/(zod|smol-toml)\/|\/src\/cold\.js$|\/src\/cli\/(check|unlock|sign|sign-request|verify-audit|audit-seal)\.js$|\/src\/config\/(load|_schema|full)\.js$|\/src\/output\/audit-(verify|seal|lines)\.js$/;
// The MCP bridge and its SDK are client side only (ADR 0034): a served request loads none of it.
const BRIDGE_FILES = /node_modules\/@modelcontextprotocol\/|\/src\/bridge\//;

describe('the serve path loads only what serving needs (ADR 0009)', () => {
  it('a request served from a compiled config loads no config parser, no check, no vm or zlib (test build)', () => {
    const loads = servedLoads(MAIN, 'app status');
    assert.ok(loads.files.some((f) => f.endsWith('/src/run.js')), 'the probe saw nothing: it cannot fail');
    assert.deepEqual(loads.files.filter((f) => COLD_FILES.test(f)), []);
    assert.deepEqual(loads.builtins.filter((m) => m === 'vm' || m === 'zlib'), []);
  });

  it('MCP-003 a served request loads nothing of the MCP bridge or its SDK (test build)', () => {
    const loads = servedLoads(MAIN, 'app status');
    assert.ok(loads.files.some((f) => f.endsWith('/src/bridge-loader.js')), 'the probe saw nothing: it cannot fail');
    assert.deepEqual(loads.files.filter((f) => BRIDGE_FILES.test(f)), []);
  });

  it('the bundle serves it without unpacking its cold chunk (no node:zlib)', () => {
    const loads = servedLoads(BUNDLE, 'app status');
    assert.ok(loads.builtins.includes('fs'), 'the probe saw nothing: it cannot fail');
    assert.deepEqual(loads.builtins.filter((m) => m === 'zlib'), []);
  });
});
