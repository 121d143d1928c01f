import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { readAudit } from './process.js';
import { BUNDLE, SshdHarness } from './sshd.js';
import { serverTable } from './tmp.js';

export const MCP_SECRET = 'mcp-bridge-secret-0123456789abcdef';

/** A host for the bridge's tests: a session-enabled config, a real sshd, an `ssh` on PATH that reaches it. */
export interface McpHost {
  readonly dir: string;
  readonly config: string;
  readonly sshd: SshdHarness;
  audit(): Array<Record<string, any>>;
  /** Rewrites the server config with `extra` actions appended. */
  rewrite(extra: string): void;
  /** Writes a bridge config for this host and returns its path. */
  bridgeConfig(hostToml?: string): string;
  /** The environment the bridge runs in: PATH starts with the ssh wrapper. */
  readonly env: Record<string, string>;
  /** Stops the sshd and removes the directory. */
  stop(): Promise<void>;
}

export async function startMcpHost(session = 'enabled = true', level = 'read'): Promise<McpHost> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-mcp-'));
  chmodSync(dir, 0o755);
  const config = join(dir, 'config.toml');
  mkdirSync(join(dir, 'files'));
  writeFileSync(join(dir, 'files', 'a.txt'), 'file a\n');
  symlinkSync('/etc', join(dir, 'files', 'out'));
  writeFileSync(join(dir, 'bot.secret'), `${MCP_SECRET}\n`, { mode: 0o600 });
  // A signer key held in a file (docs/protocol.md §5.2): `signer` is its private half.
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'release', '-f', join(dir, 'signer')]);
  const signerKey = readFileSync(join(dir, 'signer.pub'), 'utf8').trim();
  const write = (extra: string): void => writeFileSync(config, serverToml(dir, session, signerKey) + extra, { mode: 0o644 });
  write('');
  const sshd = await SshdHarness.start([{ name: 'agent', options: `restrict,command="${BUNDLE} --config ${config} --level ${level} --identity agent"` }]);
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  // The machine's ~/.ssh/config must not change the test: -F /dev/null, as the other e2e suites do.
  writeFileSync(join(bin, 'ssh'), `#!/bin/sh\nexec /usr/bin/ssh -F /dev/null "$@"\n`, { mode: 0o755 });
  const sshOptions = [`Port=${sshd.port}`, `IdentityFile=${join(sshd.dir, 'client_agent')}`, 'IdentitiesOnly=yes', 'StrictHostKeyChecking=no', 'UserKnownHostsFile=/dev/null', 'LogLevel=ERROR'];
  return {
    dir,
    config,
    sshd,
    audit: () => readAudit(join(dir, 'audit.jsonl')),
    rewrite: write,
    stop: async () => {
      await sshd.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir },
    bridgeConfig: (hostToml = '') => {
      const path = join(dir, `mcp-${Math.random().toString(16).slice(2)}.toml`);
      writeFileSync(path, `[hosts.web]\nssh = "root@127.0.0.1"\nssh_options = ${JSON.stringify(sshOptions)}\nserver_id = "mcp-host"\n${hostToml}\n`);
      return path;
    },
  };
}

/** The SDK's own client, spawning `portcullis mcp` from the built bundle. */
export async function connectBridge(host: McpHost, configPath: string, options: { listChanged?: () => void; era?: { pin: string } } = {}): Promise<{ client: Client; transport: StdioClientTransport; stderr: () => string }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [BUNDLE, 'mcp', '--config', configPath], env: host.env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client(
    { name: 'portcullis-e2e', version: '1.0.0' },
    {
      ...(options.listChanged === undefined ? {} : { listChanged: { tools: { onChanged: () => options.listChanged?.() } } }),
      ...(options.era === undefined ? {} : { versionNegotiation: { mode: options.era } }),
    },
  );
  await client.connect(transport);
  return { client, transport, stderr: () => stderr };
}

function serverToml(dir: string, session: string, signerKey: string): string {
  return `${serverTable(dir, 'id = "mcp-host"\nkill_grace = 1\nmax_output_bytes = 4096')}
[server.session]
${session}

[tokens.bot]
secret = "file:${dir}/bot.secret"
level = "admin"

[signers.release]
public_key = "${signerKey}"
level = "admin"

[domains.t]
description = "Bridge test actions"
[domains.t.actions.echo]
description = "Echo a message"
level = "read"
effects = "read"
idempotent = true
examples = ["t echo msg=hello"]
exec = ["/bin/echo", "{msg}"]
[domains.t.actions.echo.args.msg]
type = "string"
[domains.t.actions.cat]
description = "Echo stdin"
level = "read"
exec = ["/bin/cat"]
stdin = { max_bytes = 1024 }
[domains.t.actions.sleep]
description = "Sleeps"
level = "read"
exec = ["/bin/sh", "-c", "echo started; sleep {seconds}"]
[domains.t.actions.sleep.args.seconds]
type = "int"
min = 0
max = 60
[domains.t.actions.tail]
description = "Show a file"
level = "read"
exec = ["/bin/cat", "{file}"]
[domains.t.actions.tail.args.file]
type = "path"
root = "${dir}/files"
[domains.t.actions.admin]
description = "Needs admin"
level = "admin"
effects = "destructive"
exec = ["/bin/echo", "admin ran"]
[domains.t.actions.store]
description = "Stores its input (admin)"
level = "admin"
exec = ["/bin/cat"]
stdin = { max_bytes = 1024 }
[domains.t.actions.fail]
description = "Exits 3"
level = "read"
exec = ["/bin/sh", "-c", "echo oops >&2; exit 3"]
`;
}
