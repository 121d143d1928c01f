import { Catalog } from './catalog.js';
import { defaultBridgeConfigPath, loadBridgeConfig, selectHosts, type HostConfig } from './config.js';
import { createBridgeServer, loadSdk } from './server.js';
import type { ToolSpec } from './tools.js';

/** `portcullis mcp`: client side only; the serve path never loads this module (ADR 0034). */
interface McpIO {
  readonly env: Readonly<Record<string, string | undefined>>;
  out(text: string): void;
  err(text: string): void;
}

/** A host slower than this at start-up joins later, with a list-changed notification. */
const START_BUDGET_MS = 5000;

const USAGE = 'usage: portcullis mcp [--config PATH] [--host ALIAS]... [--check]';
const HELP = `${USAGE}

Serves the visible actions of the configured hosts as MCP tools over stdio (docs/mcp.md).
--config defaults to ~/.config/portcullis/mcp.toml; --host limits to some hosts;
--check validates the config, asks each host for its actions and prints the tools it would
expose, host by host, without starting the server (exit 0; 1 when the config is invalid or a
host did not answer).
`;

/** Runs the bridge until its client closes stdin, or `--check`. */
export async function runMcp(args: readonly string[], io: McpIO): Promise<number> {
  const options = parseMcpArgs(args);
  if ('help' in options) {
    io.out(HELP);
    return 0;
  }
  if ('error' in options) {
    io.err(`portcullis mcp: ${options.error} (${USAGE})\n`);
    return 2;
  }
  const path = options.config ?? defaultBridgeConfigPath(io.env);
  const loaded = loadBridgeConfig(path);
  if (!loaded.ok) {
    for (const problem of loaded.errors) io.err(`${path}: ${problem.path}: ${problem.message}\n`);
    return 1;
  }
  const selected = selectHosts(loaded.hosts, options.hosts);
  if ('error' in selected) {
    io.err(`portcullis mcp: ${selected.error}\n`);
    return 2;
  }
  let reported = 0;
  const catalog = new Catalog(selected.hosts, (line) => {
    reported += 1;
    io.err(`portcullis mcp: ${line}\n`);
  });
  // Serving waits for the hosts at most START_BUDGET_MS (--check waits for every host).
  const starting = catalog.start(options.check ? null : START_BUDGET_MS);
  // The hosts' first ssh connections are under way: load the SDK meanwhile.
  if (!options.check) loadSdk();
  const started = await starting;
  if (options.check) {
    io.out(checkReport(selected.hosts, catalog.tools, started.problems));
    catalog.close();
    return started.fatal === null && started.problems.length === 0 && reported === 0 ? 0 : 1;
  }
  for (const problem of started.problems) io.err(`portcullis mcp: ${problem} (its tools come when it answers)\n`);
  if (started.fatal !== null) {
    io.err(`portcullis mcp: ${started.fatal}\n`);
    catalog.close();
    return 1;
  }
  catalog.watch();
  return new Promise<number>((resolve) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { serveStdio } = require('@modelcontextprotocol/server/stdio') as typeof import('@modelcontextprotocol/server/stdio');
    const handle = serveStdio(() => createBridgeServer(catalog), { onerror: (error) => io.err(`portcullis mcp: ${error.message.slice(0, 300)}\n`) });
    let ending = false;
    const end = (): void => {
      if (ending) return;
      ending = true;
      // Running calls are stopped first: an action nobody waits for must not go on (docs/mcp.md).
      catalog.close();
      void handle.close().finally(() => resolve(0));
    };
    // The client closing stdin ends the bridge (the MCP stdio binding), as does a stop signal.
    process.stdin.once('close', end);
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, end);
  });
}

/** `mcp --check`: the tools of each host, or why there are none. */
function checkReport(hosts: readonly HostConfig[], tools: readonly ToolSpec[], problems: readonly string[]): string {
  const lines: string[] = [];
  for (const host of hosts) {
    const mine = tools.filter((t) => t.host === host.alias);
    const problem = problems.find((p) => p.startsWith(`${host.alias}: `));
    lines.push(`host ${host.alias} (${host.ssh}): ${problem !== undefined ? `not reachable: ${problem.slice(host.alias.length + 2)}` : `${mine.length} tool${mine.length === 1 ? '' : 's'}`}`);
    for (const tool of mine) {
      const hints = [tool.level, tool.annotations.readOnlyHint ? 'read-only' : tool.annotations.destructiveHint ? 'destructive' : 'writes', ...(tool.needsProof ? ['signed'] : []), ...(tool.stdin ? ['stdin'] : [])];
      lines.push(`  ${tool.name}  ${tool.domain} ${tool.action} (${hints.join(', ')})`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function parseMcpArgs(args: readonly string[]): { config?: string; hosts: string[]; check: boolean } | { error: string } | { help: true } {
  let config: string | undefined;
  const hosts: string[] = [];
  let check = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string; // INVARIANT: i < args.length.
    if (arg === '--help' || arg === '-h') return { help: true };
    if (arg === '--check') {
      if (check) return { error: '--check is given twice' };
      check = true;
      continue;
    }
    const match = /^--(config|host)(?:=(.*))?$/s.exec(arg);
    if (match === null) return { error: `unknown argument ${JSON.stringify(arg.slice(0, 64))}` };
    const value = match[2] ?? args[++i];
    if (value === undefined || value === '') return { error: `--${match[1]} needs a value` };
    if (match[1] === 'host') hosts.push(value);
    else if (config !== undefined) return { error: '--config is given twice' };
    else config = value;
  }
  return { ...(config !== undefined ? { config } : {}), hosts, check };
}
