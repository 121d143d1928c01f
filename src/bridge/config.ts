import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { readCapped, type ConfigProblem } from '../config/index.js';
import { formatPath, schemaProblems, tomlProblem } from '../config/full.js';
import { bridgeConfigSchema } from './_config-schema.js';

/** How the bridge proves a raised level for one host (docs/mcp.md "Proofs"). */
export type ProofConfig = { readonly kind: 'token'; readonly name: string; readonly secretFile: string } | { readonly kind: 'signer'; readonly name: string; readonly sshKey: string };

/** One `[hosts.ALIAS]` table, validated, with its defaults applied. */
export interface HostConfig {
  readonly alias: string;
  readonly ssh: string;
  readonly sshOptions: readonly string[];
  readonly sessions: number;
  readonly refreshSeconds: number;
  /** Seconds; null: the action's own timeout + 30. */
  readonly callTimeout: number | null;
  readonly serverId: string;
  readonly proof: ProofConfig | null;
}

export type BridgeConfigResult = { readonly ok: true; readonly hosts: readonly HostConfig[] } | { readonly ok: false; readonly errors: readonly ConfigProblem[] };

/** The bridge config's default place: `~/.config/portcullis/mcp.toml`. */
export function defaultBridgeConfigPath(env: Readonly<Record<string, string | undefined>>): string {
  const base = env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'portcullis', 'mcp.toml');
}

/** Loads and validates the bridge config with the server config's strictness and messages. Never throws. */
export function loadBridgeConfig(path: string): BridgeConfigResult {
  const read = readCapped(path);
  if ('error' in read) return failed('(file)', read.error);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(read.bytes);
  } catch {
    return failed('(file)', 'is not valid UTF-8');
  }
  let document: unknown;
  try {
    document = parseToml(text);
  } catch (error) {
    if (error instanceof TomlError) return { ok: false, errors: [tomlProblem(error, text)] };
    return failed('(file)', 'is not valid TOML');
  }
  const unsafe = unsafeKeys(document, []);
  if (unsafe.length > 0) return { ok: false, errors: unsafe };
  const parsed = bridgeConfigSchema.safeParse(document);
  if (!parsed.success) return { ok: false, errors: schemaProblems(parsed.error.issues, document, bridgeConfigSchema) };
  const hosts: HostConfig[] = Object.entries(parsed.data.hosts).map(([alias, host]) => ({
    alias,
    ssh: host.ssh,
    sshOptions: host.ssh_options,
    sessions: host.sessions,
    refreshSeconds: host.refresh_seconds,
    callTimeout: host.call_timeout ?? null,
    serverId: host.server_id,
    proof: proofOf(host.proof),
  }));
  return { ok: true, hosts };
}

/** Keeps the hosts named by `--host` (all when none); an unknown name is an error naming it. */
export function selectHosts(hosts: readonly HostConfig[], wanted: readonly string[]): { hosts: readonly HostConfig[] } | { error: string } {
  if (wanted.length === 0) return { hosts };
  for (const alias of wanted) {
    if (!hosts.some((h) => h.alias === alias)) return { error: `--host ${JSON.stringify(alias.slice(0, 64))}: no such host in the config` };
  }
  return { hosts: hosts.filter((h) => wanted.includes(h.alias)) };
}

function proofOf(proof: { token?: string; secret_file?: string; signer?: string; ssh_key?: string } | undefined): ProofConfig | null {
  if (proof === undefined) return null;
  // INVARIANT: the schema's refinement requires exactly one complete pair.
  if (proof.token !== undefined) return { kind: 'token', name: proof.token, secretFile: proof.secret_file as string };
  return { kind: 'signer', name: proof.signer as string, sshKey: proof.ssh_key as string };
}

function failed(path: string, message: string): BridgeConfigResult {
  return { ok: false, errors: [{ path, message }] };
}

/** `__proto__` keys (zod would drop them silently) and NUL characters are refused. */
function unsafeKeys(value: unknown, path: PropertyKey[]): ConfigProblem[] {
  if (typeof value === 'string') return value.includes('\0') ? [{ path: formatPath(path), message: 'must not contain NUL' }] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => unsafeKeys(item, [...path, index]));
  if (value === null || typeof value !== 'object' || value instanceof Date) return [];
  return Object.keys(value).flatMap((key) =>
    // INVARIANT: value is a non-null, non-array object here (checked above).
    key === '__proto__' ? [{ path: formatPath([...path, key]), message: 'is not an allowed name' }] : unsafeKeys((value as Record<string, unknown>)[key], [...path, key]),
  );
}
