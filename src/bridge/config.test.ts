import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { makeTempDir } from '../../testkit/tmp.js';
import { loadBridgeConfig, selectHosts } from './config.js';

const dir = makeTempDir('portcullis-mcp-config-');
let n = 0;
function load(toml: string) {
  const path = join(dir, `c${n++}.toml`);
  writeFileSync(path, toml);
  return loadBridgeConfig(path);
}
const problems = (toml: string): string[] => {
  const loaded = load(toml);
  assert.equal(loaded.ok, false);
  return loaded.ok ? [] : loaded.errors.map((e) => `${e.path}: ${e.message}`);
};

describe('the bridge config (docs/mcp.md "Config reference")', () => {
  it('applies the defaults', () => {
    const loaded = load('[hosts.web]\nssh = "svc@web-01"\n');
    assert.ok(loaded.ok);
    assert.deepEqual(loaded.hosts[0], { alias: 'web', ssh: 'svc@web-01', sshOptions: [], sessions: 2, refreshSeconds: 300, callTimeout: null, serverId: '', proof: null });
  });

  it('names the path of every problem, with a suggestion for a near miss', () => {
    const found = problems('[hosts.web]\nssh = "svc@web"\nsesions = 3\n[hosts.Bad_Alias]\nssh = "x"\n');
    assert.ok(found.includes('hosts.web.sesions: unknown key `sesions` (did you mean `sessions`?)'), found.join('\n'));
    assert.ok(found.some((p) => p.startsWith('hosts.Bad_Alias: is not a host alias')), found.join('\n'));
  });

  it('MCP-010 refuses an ssh destination or -o value that ssh would read as an option', () => {
    const found = problems('[hosts.web]\nssh = "-oProxyCommand=sh"\nssh_options = ["-F/tmp/x", "Port=22"]\n');
    assert.ok(found.some((p) => p.startsWith('hosts.web.ssh: ')), found.join('\n'));
    assert.ok(found.some((p) => p.startsWith('hosts.web.ssh_options[0]: ')), found.join('\n'));
    assert.equal(found.some((p) => p.startsWith('hosts.web.ssh_options[1]')), false);
  });

  it('a proof is one complete pair: token with secret_file, or signer with ssh_key', () => {
    assert.deepEqual(problems('[hosts.web]\nssh = "a@b"\nproof = { token = "bot" }\n'), ['hosts.web.proof.secret_file: missing required key `secret_file`']);
    assert.ok(problems('[hosts.web]\nssh = "a@b"\nproof = { token = "bot", secret_file = "/s", signer = "k", ssh_key = "/k" }\n')[0]?.includes('not both'));
    assert.ok(problems('[hosts.web]\nssh = "a@b"\nproof = { token = "bot", secret_file = "relative" }\n')[0]?.startsWith('hosts.web.proof.secret_file: must be an absolute path'));
    const signer = load('[hosts.web]\nssh = "a@b"\nproof = { signer = "release", ssh_key = "/home/me/.ssh/id_ed25519_sk.pub" }\n');
    assert.ok(signer.ok);
    assert.deepEqual(signer.hosts[0]?.proof, { kind: 'signer', name: 'release', sshKey: '/home/me/.ssh/id_ed25519_sk.pub' });
  });

  it('needs at least one host; a __proto__ key is refused, not dropped', () => {
    assert.ok(problems('[hosts]\n')[0]?.includes('at least one host'));
    assert.ok(problems('[hosts.__proto__]\nssh = "a@b"\n')[0]?.includes('is not an allowed name'));
  });

  it('--host keeps the hosts named; an unknown one is an error', () => {
    const loaded = load('[hosts.a]\nssh = "a@a"\n[hosts.b]\nssh = "b@b"\n');
    assert.ok(loaded.ok);
    const picked = selectHosts(loaded.hosts, ['b']);
    assert.ok('hosts' in picked);
    assert.deepEqual(picked.hosts.map((h) => h.alias), ['b']);
    assert.ok('error' in selectHosts(loaded.hosts, ['c']));
  });
});
