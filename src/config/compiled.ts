import { nodeCrypto } from '../builtins.js';
import { closeSync, fchmodSync, fchownSync, fstatSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { checkSecureFile } from './_permissions.js';
import { widerThanConfig } from './_no-wider.js';
import { readCapped } from './_read.js';
import { isInlineSecret } from './_secrets.js';
import { compiledPathFor } from './path.js';
import { VERSION } from '../version.js';
import { jsonLine } from '../output/json-line.js';
import { LazyMap } from './lazy-map.js';
import { LinearPattern } from './linear-pattern.js';
import type { ActionConfig, ArgSpec, Config, DomainConfig, Template } from './types.js';

/**
 * The compiled form of a config (ADR 0009): the validated Config as JSON lines, bound to the
 * SHA-256 of the exact source bytes it came from. Serving from it skips TOML and zod; it is
 * trusted only under the config's own checks, and only while no wider than the config.
 *
 * Line 1 is the header (format, hash, server, tokens, domain names); line 2 + k is domain k.
 * A call parses the header and the one domain its request names, nothing else (ADR 0012).
 * JSON.stringify never writes a raw newline, so a line is always one whole JSON text.
 */
// The release is part of the format: an upgrade may tighten the rules a config passed.
// 4: int min defaults to 0 and patterns are matched by linear-pattern.ts (ADR 0013).
// 5: actions carry effects, idempotent and examples (docs/config.md).
const FORMAT = `portcullis-compiled-config/5/${VERSION}`;
const NEWLINE = 0x0a;

interface Header {
  format: string;
  source_sha256: string;
  inline_secrets: boolean;
  path: string;
  server: Omit<Config['server'], 'env'> & { env: Array<[string, string]> };
  tokens: Array<Config['tokens'] extends ReadonlyMap<string, infer T> ? T : never>;
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
  renameSync(temporary, target);
  return target;
}

/**
 * The config from its compiled form, or null whenever anything is off (missing, stale,
 * wrong owner or mode, unreadable): the caller then loads the source the slow, full way,
 * which reports the real problem.
 */
export function loadCompiledConfig(path: string): Config | null {
  if (checkSecureFile(path, { secret: false }).length > 0) return null;
  const compiledPath = compiledPathFor(path);
  if (checkSecureFile(compiledPath, { secret: false }).length > 0) return null;
  const source = readCapped(path);
  const compiled = readCapped(compiledPath, 16 * 1048576);
  if ('error' in source || 'error' in compiled || widerThanConfig(compiled, source) !== null) return null;
  try {
    const bytes = compiled.bytes;
    const headerEnd = bytes.indexOf(NEWLINE);
    if (headerEnd < 0) return null;
    const header = JSON.parse(bytes.toString('utf8', 0, headerEnd)) as Header;
    if (header.format !== FORMAT || header.source_sha256 !== sha256Hex(source.bytes)) return null;
    // SECURITY: inline secrets need both files closed to others, as at load time (§4.6).
    if (header.inline_secrets && ((source.mode | compiled.mode) & 0o004) !== 0) return null;
    const domainLines = splitDomainLines(bytes, headerEnd + 1, header.domains.length);
    return domainLines === null ? null : deserialize(header, domainLines, bytes, path);
  } catch {
    return null;
  }
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

function deserialize(header: Header, lines: Array<[number, number]>, bytes: Buffer, path: string): Config {
  return {
    path,
    server: { ...header.server, env: new Map(header.server.env) },
    tokens: new Map(header.tokens.map((token) => [token.name, token])),
    domains: new LazyMap(
      header.domains.map((name, k) => {
        const [start, end] = lines[k] as [number, number];
        return [name, () => deserializeDomain(JSON.parse(bytes.toString('utf8', start, end)) as SerializedDomain)];
      }),
    ),
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
