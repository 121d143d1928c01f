import { nodeCrypto } from '../builtins.js';
import { closeSync, fchmodSync, fchownSync, fstatSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { checkSecureFile } from './_permissions.js';
import { widerThanConfig } from './_no-wider.js';
import { readCapped } from './_read.js';
import { isInlineSecret } from './_secrets.js';
import { compiledPathFor } from './path.js';
import { FORMAT_KEY } from './_format-key.js';
import { domainDefect, headerDefect } from './_compiled-shape.js';
import { jsonLine } from '../output/json-line.js';
import { LazyMap } from './lazy-map.js';
import { LinearPattern } from './linear-pattern.js';
import type { ActionConfig, ArgSpec, Config, DomainConfig, LoadResult, Template } from './types.js';

/**
 * The compiled form of a config (ADR 0009): the validated Config as JSON lines, bound to the
 * SHA-256 of the exact source bytes it came from. Serving from it skips TOML and zod; it is
 * trusted only under the config's own checks, and only while no wider than the config.
 *
 * Line 1 is the header (format, hash, server, tokens, signers, domain names); line 2 + k is domain k.
 * A call parses the header and the one domain its request names, nothing else (ADR 0012).
 * JSON.stringify never writes a raw newline, so a line is always one whole JSON text.
 */
// Keyed by a hash of the config sources and the release (scripts/format-key.mjs, ADR 0019):
// an upgrade may tighten the rules a config passed, or change what a line holds.
const FORMAT = `portcullis-compiled-config/${FORMAT_KEY}`;
const NEWLINE = 0x0a;

interface Header {
  format: string;
  source_sha256: string;
  inline_secrets: boolean;
  path: string;
  server: Omit<Config['server'], 'env'> & { env: Array<[string, string]> };
  tokens: Array<Config['tokens'] extends ReadonlyMap<string, infer T> ? T : never>;
  signers: Array<Config['signers'] extends ReadonlyMap<string, infer T> ? T : never>;
  /** In the order of the lines that follow. */
  domains: string[];
}
type SerializedDomain = { name: string; description: string; actions: SerializedAction[] };
type SerializedAction = Omit<ActionConfig, 'env' | 'args'> & { env: Array<[string, Template]>; args: SerializedArg[] };
type SerializedArg = ArgSpec extends infer A ? (A extends { pattern: LinearPattern | null } ? Omit<A, 'pattern'> : A) : never;

function sha256Hex(bytes: Buffer): string {
  return nodeCrypto().createHash('sha256').update(bytes).digest('hex');
}

/** The config file as read for compiling: its bytes and who may read it. */
export interface CompileSource {
  readonly bytes: Buffer;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/**
 * Writes the compiled form of a validated config atomically; returns the path written.
 * SECURITY: it holds everything the config does (env values, argv), so exactly those who
 * may read the config may read it: same owner, same group, the config's read bits.
 */
export function writeCompiledConfig(config: Config, source: CompileSource): string {
  const domains = [...config.domains.values()];
  const header: Header = {
    format: FORMAT,
    source_sha256: sha256Hex(source.bytes),
    inline_secrets: [...config.tokens.values()].some((token) => isInlineSecret(token.secretSpec)),
    path: config.path,
    server: { ...config.server, env: [...config.server.env] },
    tokens: [...config.tokens.values()],
    signers: [...config.signers.values()],
    domains: domains.map((domain) => domain.name),
  };
  const lines = [header, ...domains.map(serializeDomain)].map(jsonLine);
  const target = compiledPathFor(config.path);
  const temporary = `${target}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    const bytes = Buffer.from(lines.join(''), 'utf8');
    for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset);
    if (process.getuid?.() === 0) fchownSync(fd, source.uid, source.gid);
    // Not root, the file has our group: the config's group bits would widen it (§4.6).
    const sameGroup = fstatSync(fd).gid === source.gid;
    fchmodSync(fd, source.mode & (sameGroup ? 0o644 : 0o604));
  } catch (error) {
    closeSync(fd);
    unlinkSync(temporary);
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temporary, target);
  } catch (error) {
    unlinkSync(temporary);
    throw error;
  }
  return target;
}

/** The full loader on the exact bytes the compiled form was checked against (cold code). */
export type FullLoadFromBytes = (bytes: Buffer, mode: number) => LoadResult;

/**
 * The compiled form, if it can be served: `ignored` says why not when there is one (stale,
 * another format, too wide, a defect), null when there is none or the config itself fails
 * its checks (the full loader then reports the real problem).
 */
export type CompiledOpen = { readonly config: Config; readonly ignored: null } | { readonly config: null; readonly ignored: string | null };

/**
 * Opens the compiled form of the config at `path`: the header is checked now, each domain
 * line when a request first touches it (ADR 0012). A defective domain line is not served:
 * that domain comes from `fullLoad` on the config's bytes, and the returned config's
 * `compiledFormIgnored` says why (the audit detail, ADR 0019).
 */
export function openCompiledConfig(path: string, fullLoad: FullLoadFromBytes): CompiledOpen {
  if (checkSecureFile(path, { secret: false }).length > 0) return NONE;
  const compiledPath = compiledPathFor(path);
  const unsafe = checkSecureFile(compiledPath, { secret: false });
  if (unsafe.length > 0) return /ENOENT/.test(unsafe[0] ?? '') ? NONE : ignored(`${compiledPath} ${unsafe.join('; ')}`);
  const source = readCapped(path);
  const compiled = readCapped(compiledPath, 16 * 1048576);
  if ('error' in source) return NONE;
  if ('error' in compiled) return ignored(`${compiledPath} ${compiled.error}`);
  const wider = widerThanConfig(compiled, source);
  if (wider !== null) return ignored(`${compiledPath} is wider than the config: ${wider}`);
  const bytes = compiled.bytes;
  const headerEnd = bytes.indexOf(NEWLINE);
  let header: Header;
  try {
    header = JSON.parse(bytes.toString('utf8', 0, headerEnd < 0 ? bytes.length : headerEnd)) as Header;
  } catch {
    return ignored('its header line is not JSON');
  }
  if (header?.format !== FORMAT) return ignored(`it is of format ${JSON.stringify(String(header?.format)).slice(0, 80)}, this release reads ${FORMAT}`);
  const defect = headerDefect(header);
  if (defect !== null) return ignored(`header: ${defect}`);
  if (header.source_sha256 !== sha256Hex(source.bytes)) return ignored('it is stale: the config changed after check --compile');
  // SECURITY: inline secrets need both files closed to others, as at load time (§4.6).
  if (header.inline_secrets && ((source.mode | compiled.mode) & 0o004) !== 0) return ignored('it holds inline secrets and the config or it is readable by others');
  const domainLines = headerEnd < 0 ? null : splitDomainLines(bytes, headerEnd + 1, header.domains.length);
  if (domainLines === null) return ignored(`it does not hold exactly the ${header.domains.length} domain lines its header names (cut or extended)`);
  let full: Config | undefined;
  const fullConfig = (): Config => {
    if (full !== undefined) return full;
    const loaded = fullLoad(source.bytes, source.mode);
    if (!loaded.ok) throw new Error(`compiled form ignored, and the config is invalid: ${loaded.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
    full = loaded.config;
    return full;
  };
  return { config: deserialize(header, domainLines, bytes, path, fullConfig), ignored: null };
}

const NONE: CompiledOpen = { config: null, ignored: null };

function ignored(why: string): CompiledOpen {
  return { config: null, ignored: why };
}

/** The compiled form when it can be served, for callers that need no fallback reason (tests, check). */
export function loadCompiledConfig(path: string): Config | null {
  return openCompiledConfig(path, () => ({ ok: false, errors: [{ path: '(compiled)', message: 'no full loader here' }], warnings: [] })).config;
}

/**
 * For `check`: why the compiled form of `path` would not be served, checking every domain
 * line now; null when it would be, 'missing' when there is none.
 */
export function compiledFormDefect(path: string): string | null {
  const opened = openCompiledConfig(path, () => ({ ok: false, errors: [], warnings: [] }));
  if (opened.config === null) return opened.ignored ?? 'missing';
  for (const name of opened.config.domains.keys()) {
    try {
      opened.config.domains.get(name);
    } catch {
      // The defect is recorded before the fallback is asked for: reported below.
    }
  }
  const defects = opened.config.compiledFormIgnored ?? [];
  return defects.length > 0 ? defects.join('; ') : null;
}

/** Where each domain's line starts and ends; null unless there are exactly `count` whole lines. */
function splitDomainLines(bytes: Buffer, from: number, count: number): Array<[number, number]> | null {
  const lines: Array<[number, number]> = [];
  let start = from;
  for (let k = 0; k < count; k++) {
    const end = bytes.indexOf(NEWLINE, start);
    if (end < 0) return null;
    lines.push([start, end]);
    start = end + 1;
  }
  return start === bytes.length ? lines : null;
}

function serializeDomain(domain: DomainConfig): SerializedDomain {
  return {
    name: domain.name,
    description: domain.description,
    actions: [...domain.actions.values()].map((action) => ({
      ...action,
      env: [...action.env],
      args: [...action.args.values()].map((spec) => {
        if (spec.type !== 'string') return spec;
        const { pattern: _compiledOnLoad, ...rest } = spec;
        return rest;
      }),
    })),
  };
}

function deserialize(header: Header, lines: Array<[number, number]>, bytes: Buffer, path: string, fullConfig: () => Config): Config {
  const compiledFormIgnored: string[] = [];
  /** A domain from its line, or, when the line has a defect, from the full loader. */
  const domain = (name: string, [start, end]: [number, number]): DomainConfig => {
    let line: unknown;
    try {
      line = JSON.parse(bytes.toString('utf8', start, end));
    } catch {
      line = undefined;
    }
    const defect = line === undefined ? 'is not JSON' : domainDefect(line, name);
    if (defect === null) return deserializeDomain(line as SerializedDomain);
    compiledFormIgnored.push(`line of domain ${name}: ${defect}`);
    const loaded = fullConfig().domains.get(name);
    if (loaded === undefined) throw new Error(`compiled form ignored: line of domain ${name}: ${defect}; the config has no such domain`);
    return loaded;
  };
  return {
    path,
    server: { ...header.server, env: new Map(header.server.env) },
    tokens: new Map(header.tokens.map((token) => [token.name, token])),
    signers: new Map(header.signers.map((signer) => [signer.name, signer])),
    domains: new LazyMap(header.domains.map((name, k) => [name, () => domain(name, lines[k] as [number, number])])),
    compiledFormIgnored,
  };
}

function deserializeDomain(domain: SerializedDomain): DomainConfig {
  const actions = new Map<string, ActionConfig>();
  for (const action of domain.actions) {
    const args = new Map<string, ArgSpec>();
    for (const spec of action.args) {
      args.set(spec.name, spec.type === 'string' ? { ...spec, pattern: spec.patternSource === null ? null : LinearPattern.fromValidated(spec.patternSource) } : spec);
    }
    actions.set(action.name, { ...action, env: new Map(action.env), args });
  }
  return { name: domain.name, description: domain.description, actions };
}
