import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE } from './sshd.js';
import { PipeSessionClient } from './session-pipe.js';
import { makeTempDir, serverTable } from './tmp.js';

/**
 * A host whose audit log is chained (docs/audit.md), and the tools to tamper with it. The
 * chain is recomputed here from docs/audit.md's definition, independently of src/, so a
 * tampering test re-chains exactly as an attacker who read the docs would.
 */
export interface ChainHost {
  readonly dir: string;
  readonly config: string;
  readonly log: string;
  readonly stateDir: string;
  /** One request through the bundle, as sshd runs it (form A). */
  run(request: string, env?: Record<string, string>): { status: number | null; stdout: string; stderr: string };
}

const CLEAN_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin' };

export function makeChainHost(chain = 'enabled = true', dir = makeTempDir('portcullis-audit-'), serverExtra = ''): ChainHost {
  const config = join(dir, 'config.toml');
  const table = serverTable(dir, `audit_chain = { ${chain} }\nsession = { enabled = true }\n${serverExtra}`);
  writeFileSync(config, `${table}
[domains.t]
description = "Chain test actions"
[domains.t.actions.echo]
description = "Echo"
level = "read"
exec = ["/bin/echo", "{msg}"]
[domains.t.actions.echo.args.msg]
type = "string"
max_length = 4096
[domains.t.actions.mark]
description = "Leaves a file named ran in the host's directory"
level = "read"
exec = ["/usr/bin/touch", "${dir}/ran"]
`, { mode: 0o644 });
  const run = (request: string, env: Record<string, string> = {}) => {
    const result = spawnSync(BUNDLE, ['--config', config], { env: { ...CLEAN_ENV, SSH_ORIGINAL_COMMAND: request, ...env }, encoding: 'utf8' });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  return { dir, config, log: join(dir, 'audit.jsonl'), stateDir: join(dir, 'state'), run };
}

/** `count` requests over one session of the bundle: many records from one process, fast. */
export async function sessionWriter(host: ChainHost, count: number, name: string): Promise<void> {
  const child = spawn(BUNDLE, ['--config', host.config], { env: { ...CLEAN_ENV, SSH_ORIGINAL_COMMAND: 'session' }, stdio: ['pipe', 'pipe', 'ignore'] });
  const closed = new Promise((resolve) => child.on('close', resolve));
  try {
    const { client } = await PipeSessionClient.open(child);
    await client.pipeline(count, `t echo msg=${name}`, 4, name);
  } finally {
    // Ends the session even after a failed request: else it waits for its idle timeout.
    child.stdin?.end();
    await closed;
  }
}

export interface VerifyRun {
  readonly status: number | null;
  readonly json: { ok: boolean; records: number; first_seq: number | null; first_prev: string | null; last_seq: number | null; last_chain: string | null; seals_matched: number; problem: { line: number; kind: string; detail: string } | null };
}

export function verifyAudit(args: readonly string[]): VerifyRun {
  const result = spawnSync(BUNDLE, ['verify-audit', '--json', ...args], { env: CLEAN_ENV, encoding: 'utf8' });
  return { status: result.status, json: JSON.parse(result.stdout) };
}

export function readLines(path: string): string[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines.pop() !== '') throw new Error(`${path} does not end in a line feed`);
  return lines;
}

export function writeLines(path: string, lines: readonly string[]): void {
  writeFileSync(path, lines.map((line) => `${line}\n`).join(''));
}

const SUFFIX = /,"chain":"[0-9a-f]{64}"\}$/;

/** Recomputes the chain of every line from `from` on (0-based), as docs/audit.md defines it. */
export function rechain(lines: readonly string[], from: number): string[] {
  const out = [...lines];
  for (let i = from; i < out.length; i++) {
    const line = out[i] as string;
    const prev = i === 0 ? '0'.repeat(64) : (/"chain":"([0-9a-f]{64})"\}$/.exec(out[i - 1] as string)?.[1] as string);
    const record = line.replace(SUFFIX, '}').replace(/"prev":"[0-9a-f]{64}"\}$/, `"prev":"${prev}"}`);
    const chain = createHash('sha256').update(`${prev}\n${record}`, 'utf8').digest('hex');
    out[i] = `${record.slice(0, -1)},"chain":"${chain}"}`;
  }
  return out;
}
