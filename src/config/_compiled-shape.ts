import { BUILTIN_NAMES, IDENTIFIER } from '../request/index.js';
import { checkArgValue } from './arg-values.js';
import { BUILTIN_PLACEHOLDERS } from './_template.js';
import { keyFingerprint, SSH_KEY_TYPES } from '../auth/ssh-key.js';
import type { ArgSpec } from './types.js';

/**
 * The structural check of the compiled form (docs/config.md "Compiled form", ADR 0019): every
 * line is checked against closed sets and types before it is used, by hand, since this runs
 * on the hot path where zod is never loaded. It cannot prove that the file came from the
 * config (its binding to the config's bytes does that); it proves that nothing outside what
 * the full loader could have produced is served: a level "root", a string where a number
 * belongs, a key no release writes. Each check returns the first defect, or null.
 */

const LEVELS: ReadonlySet<unknown> = new Set(['read', 'ops', 'admin']);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEX64 = /^[0-9a-f]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

class Defect extends Error {}

type Json = Record<string, unknown>;

function fail(at: string, what: string): never {
  throw new Defect(`${at} ${what}`);
}

/** An object with exactly these keys (no more, no fewer). */
function record(value: unknown, at: string, keys: readonly string[]): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(at, 'is not an object');
  const actual = Object.keys(value);
  for (const key of actual) if (!keys.includes(key)) fail(`${at}.${key}`, 'is not a known key');
  if (actual.length !== keys.length) fail(at, `lacks ${keys.filter((key) => !actual.includes(key)).join(', ')}`);
  return value as Json;
}

function list(value: unknown, at: string, minLength = 0): unknown[] {
  if (!Array.isArray(value)) fail(at, 'is not a list');
  if (value.length < minLength) fail(at, `has fewer than ${minLength} elements`);
  return value;
}

function text(value: unknown, at: string): string {
  if (typeof value !== 'string') fail(at, 'is not a string');
  return value;
}

function flag(value: unknown, at: string): boolean {
  if (typeof value !== 'boolean') fail(at, 'is not a boolean');
  return value;
}

function integer(value: unknown, at: string, min: number): number {
  if (!Number.isSafeInteger(value) || (value as number) < min) fail(at, `is not an integer >= ${min}`);
  return value as number;
}

function nullableInteger(value: unknown, at: string): void {
  if (value !== null && !Number.isSafeInteger(value)) fail(at, 'is not an integer or null');
}

function name(value: unknown, at: string): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) fail(at, 'is not a name');
  return value;
}

function absolute(value: unknown, at: string): string {
  const path = text(value, at);
  if (!path.startsWith('/') || path.includes('\0')) fail(at, 'is not an absolute path');
  return path;
}

function level(value: unknown, at: string): void {
  if (!LEVELS.has(value)) fail(at, 'is not a level (read, ops, admin)');
}

function names(value: unknown, at: string): string[] {
  return list(value, at).map((item, k) => name(item, `${at}[${k}]`));
}

function unique(values: readonly string[], at: string): void {
  if (new Set(values).size !== values.length) fail(at, 'names an entry twice');
}

function run(check: () => void): string | null {
  try {
    check();
    return null;
  } catch (error) {
    if (error instanceof Defect) return error.message;
    throw error;
  }
}

/** The header line: the server settings, the tokens, the signers and the domain names, in line order. */
export function headerDefect(header: unknown): string | null {
  return run(() => {
    const h = record(header, 'header', ['format', 'source_sha256', 'inline_secrets', 'path', 'server', 'tokens', 'signers', 'domains']);
    text(h.format, 'header.format');
    if (typeof h.source_sha256 !== 'string' || !HEX64.test(h.source_sha256)) fail('header.source_sha256', 'is not a SHA-256');
    flag(h.inline_secrets, 'header.inline_secrets');
    text(h.path, 'header.path');
    serverDefect(h.server);
    const tokens = list(h.tokens, 'tokens').map((token, k) => {
      const at = `tokens[${k}]`;
      const t = record(token, at, ['name', 'secretSpec', 'level', 'tags', 'description']);
      text(t.secretSpec, `${at}.secretSpec`);
      level(t.level, `${at}.level`);
      names(t.tags, `${at}.tags`);
      text(t.description, `${at}.description`);
      return name(t.name, `${at}.name`);
    });
    unique(tokens, 'tokens');
    const signers = list(h.signers, 'signers').map((signer, k) => signerDefect(signer, `signers[${k}]`));
    unique(signers, 'signers');
    for (const signer of signers) if (tokens.includes(signer)) fail(`signers.${signer}`, 'has the name of a token');
    const domains = names(h.domains, 'domains');
    unique(domains, 'domains');
    for (const domain of domains) if ((BUILTIN_NAMES as readonly string[]).includes(domain)) fail(`domains.${domain}`, 'is a built-in name');
  });
}

/**
 * A signer: a key of an allowed type, its fingerprint the hash of that key. The key itself
 * is parsed when a proof names the signer, so a blob that is no key only refuses proofs.
 */
function signerDefect(signer: unknown, at: string): string {
  const s = record(signer, at, ['name', 'keyType', 'publicKey', 'fingerprint', 'level', 'tags', 'description', 'requireUserVerification']);
  if (!(SSH_KEY_TYPES as readonly unknown[]).includes(s.keyType)) fail(`${at}.keyType`, 'is not a signer key type');
  const key = text(s.publicKey, `${at}.publicKey`);
  if (!BASE64.test(key)) fail(`${at}.publicKey`, 'is not base64');
  if (s.fingerprint !== keyFingerprint(Buffer.from(key, 'base64'))) fail(`${at}.fingerprint`, 'is not the fingerprint of the key');
  level(s.level, `${at}.level`);
  names(s.tags, `${at}.tags`);
  text(s.description, `${at}.description`);
  flag(s.requireUserVerification, `${at}.requireUserVerification`);
  return name(s.name, `${at}.name`);
}

function serverDefect(server: unknown): void {
  const s = record(server, 'server', [
    'id', 'auditLog', 'stateDir', 'defaultTimeout', 'killGrace', 'maxOutputBytes', 'maxRequestBytes',
    'proofWindow', 'maxAuthFailures', 'lockoutSeconds', 'env', 'forcedLine', 'session', 'auditChain',
  ]);
  text(s.id, 'server.id');
  absolute(s.auditLog, 'server.auditLog');
  absolute(s.stateDir, 'server.stateDir');
  for (const key of ['defaultTimeout', 'maxOutputBytes', 'maxRequestBytes', 'proofWindow', 'maxAuthFailures', 'lockoutSeconds']) integer(s[key], `server.${key}`, 1);
  integer(s.killGrace, 'server.killGrace', 0);
  envEntries(s.env, 'server.env', (value, at) => text(value, at));
  flag(s.forcedLine, 'server.forcedLine');
  const session = record(s.session, 'server.session', ['enabled', 'maxRequests', 'idleTimeout', 'maxSeconds', 'maxLineBytes']);
  flag(session.enabled, 'server.session.enabled');
  for (const key of ['maxRequests', 'idleTimeout', 'maxSeconds']) integer(session[key], `server.session.${key}`, 1);
  integer(session.maxLineBytes, 'server.session.maxLineBytes', 1024);
  const chain = record(s.auditChain, 'server.auditChain', ['enabled', 'lockTool', 'lockTimeout']);
  flag(chain.enabled, 'server.auditChain.enabled');
  absolute(chain.lockTool, 'server.auditChain.lockTool');
  integer(chain.lockTimeout, 'server.auditChain.lockTimeout', 1);
}

function envEntries(value: unknown, at: string, checkValue: (value: unknown, at: string) => void): void {
  const keys = list(value, at).map((entry, k) => {
    const pair = list(entry, `${at}[${k}]`);
    if (pair.length !== 2 || typeof pair[0] !== 'string' || !ENV_NAME.test(pair[0]) || pair[0].startsWith('PORTCULLIS_')) {
      fail(`${at}[${k}]`, 'is not a [name, value] pair');
    }
    checkValue(pair[1], `${at}.${pair[0]}`);
    return pair[0];
  });
  unique(keys, at);
}

/** Domain line `name` (the header's name for that line). */
export function domainDefect(domain: unknown, domainName: string): string | null {
  return run(() => {
    const at = `domains.${domainName}`;
    const d = record(domain, at, ['name', 'description', 'actions']);
    if (d.name !== domainName) fail(`${at}.name`, 'differs from the header');
    text(d.description, `${at}.description`);
    const actions = list(d.actions, `${at}.actions`).map((action, k) => actionDefect(action, domainName, `${at}.actions[${k}]`));
    unique(actions, `${at}.actions`);
  });
}

function actionDefect(action: unknown, domain: string, at: string): string {
  const a = record(action, at, ['domain', 'name', 'description', 'level', 'tags', 'exec', 'timeout', 'cwd', 'env', 'stdin', 'maxOutputBytes', 'args', 'effects', 'idempotent', 'examples', 'output', 'rawMaxBytes']);
  if (a.output !== 'json' && a.output !== 'raw') fail(`${at}.output`, 'is not an output mode');
  integer(a.rawMaxBytes, `${at}.rawMaxBytes`, 1);
  if (a.effects !== null && a.effects !== 'read' && a.effects !== 'write' && a.effects !== 'destructive') fail(`${at}.effects`, 'is not an effect');
  flag(a.idempotent, `${at}.idempotent`);
  list(a.examples, `${at}.examples`).forEach((example, k) => text(example, `${at}.examples[${k}]`));
  if (a.domain !== domain) fail(`${at}.domain`, 'differs from its line');
  const actionName = name(a.name, `${at}.name`);
  text(a.description, `${at}.description`);
  level(a.level, `${at}.level`);
  names(a.tags, `${at}.tags`);
  integer(a.timeout, `${at}.timeout`, 1);
  absolute(a.cwd, `${at}.cwd`);
  if (a.stdin !== null) integer(record(a.stdin, `${at}.stdin`, ['maxBytes']).maxBytes, `${at}.stdin.maxBytes`, 1);
  integer(a.maxOutputBytes, `${at}.maxOutputBytes`, 1);
  const args = list(a.args, `${at}.args`).map((spec, k) => argDefect(spec, `${at}.args[${k}]`));
  unique(args, `${at}.args`);
  const declared = new Set<string>([...BUILTIN_PLACEHOLDERS, ...args]);
  const exec = list(a.exec, `${at}.exec`, 1);
  exec.forEach((element, k) => template(element, `${at}.exec[${k}]`, declared));
  // exec[0] is a fixed absolute path (docs/config.md): one literal part.
  const program = (exec[0] as { parts: Array<{ literal?: unknown }> }).parts;
  if (program.length !== 1 || typeof program[0]?.literal !== 'string' || !program[0].literal.startsWith('/')) fail(`${at}.exec[0]`, 'is not an absolute path');
  envEntries(a.env, `${at}.env`, (value, where) => template(value, where, declared));
  return actionName;
}

function template(value: unknown, at: string, declared: ReadonlySet<string>): void {
  const t = record(value, at, ['source', 'parts']);
  text(t.source, `${at}.source`);
  list(t.parts, `${at}.parts`).forEach((part, k) => {
    const where = `${at}.parts[${k}]`;
    if (part !== null && typeof part === 'object' && 'placeholder' in part) {
      const placeholder = record(part, where, ['placeholder']).placeholder;
      if (typeof placeholder !== 'string' || !declared.has(placeholder)) fail(where, 'is not a declared placeholder');
    } else {
      text(record(part, where, ['literal']).literal, `${where}.literal`);
    }
  });
}

const COMMON = ['name', 'description', 'required', 'default', 'sensitive', 'type'];
const ARG_KEYS: Readonly<Record<string, readonly string[]>> = {
  string: [...COMMON, 'maxLength', 'minLength', 'patternSource', 'allowLeadingDash'],
  enum: [...COMMON, 'values'],
  int: [...COMMON, 'min', 'max'],
  bool: COMMON,
  path: [...COMMON, 'root', 'mustExist'],
};

function argDefect(spec: unknown, at: string): string {
  const type = (spec as { type?: unknown } | null)?.type;
  const keys = typeof type === 'string' && Object.hasOwn(ARG_KEYS, type) ? ARG_KEYS[type] : undefined;
  if (keys === undefined) fail(`${at}.type`, 'is not an argument type');
  const s = record(spec, at, keys);
  const argName = name(s.name, `${at}.name`);
  text(s.description, `${at}.description`);
  flag(s.required, `${at}.required`);
  flag(s.sensitive, `${at}.sensitive`);
  if (s.default !== null) text(s.default, `${at}.default`);
  switch (type) {
    case 'string':
      integer(s.maxLength, `${at}.maxLength`, 1);
      integer(s.minLength, `${at}.minLength`, 0);
      if (s.patternSource !== null) text(s.patternSource, `${at}.patternSource`);
      flag(s.allowLeadingDash, `${at}.allowLeadingDash`);
      break;
    case 'enum':
      list(s.values, `${at}.values`, 1).forEach((value, k) => text(value, `${at}.values[${k}]`));
      break;
    case 'int':
      nullableInteger(s.min, `${at}.min`);
      nullableInteger(s.max, `${at}.max`);
      break;
    case 'path':
      absolute(s.root, `${at}.root`);
      flag(s.mustExist, `${at}.mustExist`);
      break;
  }
  // A default is substituted as is: it must be a value the argument accepts (its pattern
  // aside, which is compiled only once the line is used).
  if (typeof s.default === 'string') {
    const checked = checkArgValue({ ...s, pattern: null } as unknown as ArgSpec, s.default);
    if ('error' in checked || checked.value !== s.default) fail(`${at}.default`, 'is not a value of its type');
  }
  return argName;
}
