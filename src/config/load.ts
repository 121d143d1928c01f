import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parse as parseToml, TomlError } from 'smol-toml';
import { compileConfig } from './_compile.js';
import { checkSecureFile, describeFsError } from './_permissions.js';
import { configSchema } from './_schema.js';
import type { ConfigProblem, LoadResult } from './types.js';

export const DEFAULT_CONFIG_PATH = '/etc/portcullis/config.toml';
export const MAX_CONFIG_BYTES = 1048576;
const FILE = '(file)';

/**
 * Loads and validates a configuration (CONTRACT §4): permissions before parsing, a size
 * cap, TOML, the strict schema, then the cross-field rules. Never throws.
 */
export function loadConfig(path: string): LoadResult {
  const permissionProblems = checkSecureFile(path, { secret: false });
  if (permissionProblems.length > 0) return failed(permissionProblems.map((message) => ({ path: FILE, message })));

  const read = readCapped(path);
  if ('error' in read) return failed([{ path: FILE, message: read.error }]);

  let document: unknown;
  try {
    document = parseToml(read.text);
  } catch (error) {
    const where = error instanceof TomlError ? `line ${error.line}, column ${error.column}: ` : '';
    const firstLine = error instanceof Error ? (error.message.split('\n')[0] ?? '') : 'invalid TOML';
    return failed([{ path: FILE, message: `${where}${firstLine}` }]);
  }

  const shapeProblems = findUnsafeKeysAndValues(document, []);
  if (shapeProblems.length > 0) return failed(shapeProblems);

  const parsed = configSchema.safeParse(document);
  if (!parsed.success) return failed(parsed.error.issues.flatMap(issueToProblems));

  const compiled = compileConfig(parsed.data, path, (read.mode & 0o004) !== 0);
  if (compiled.config === null) return { ok: false, errors: compiled.errors, warnings: compiled.warnings };
  return { ok: true, config: compiled.config, warnings: compiled.warnings };
}

/** Config path rule of CONTRACT §2.1: PORTCULLIS_CONFIG is honoured only outside sshd. */
export function resolveConfigPath(option: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  if (option !== undefined) return option;
  const fromEnv = env.PORTCULLIS_CONFIG;
  if (env.SSH_CONNECTION === undefined && fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return DEFAULT_CONFIG_PATH;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text === '' ? '(top level)' : text;
}

function failed(errors: ConfigProblem[]): LoadResult {
  return { ok: false, errors, warnings: [] };
}

function readCapped(path: string): { text: string; mode: number } | { error: string } {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const stats = fstatSync(fd);
    if (stats.size > MAX_CONFIG_BYTES) return { error: `is larger than ${MAX_CONFIG_BYTES} bytes` };
    const buffer = Buffer.alloc(stats.size);
    let offset = 0;
    while (offset < buffer.length) {
      const n = readSync(fd, buffer, offset, buffer.length - offset, offset);
      if (n === 0) break;
      offset += n;
    }
    const text = new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, offset));
    return { text, mode: stats.mode };
  } catch (error) {
    if (error instanceof TypeError) return { error: 'is not valid UTF-8' };
    return { error: `cannot be read: ${describeFsError(error)}` };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Rejects `__proto__` keys (zod would silently drop them, hiding a whole domain) and NUL
 * characters in any string (they cannot reach an argv or environment).
 */
function findUnsafeKeysAndValues(value: unknown, path: PropertyKey[]): ConfigProblem[] {
  if (typeof value === 'string') {
    return value.includes('\0') ? [{ path: formatPath(path), message: 'must not contain NUL' }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => findUnsafeKeysAndValues(item, [...path, index]));
  if (value === null || typeof value !== 'object' || value instanceof Date) return [];
  return Object.keys(value).flatMap((key) =>
    key === '__proto__'
      ? [{ path: formatPath([...path, key]), message: 'is not an allowed name' }]
      : findUnsafeKeysAndValues((value as Record<string, unknown>)[key], [...path, key]),
  );
}

function issueToProblems(issue: { code: string; path: PropertyKey[]; message: string; keys?: string[] }): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys' && issue.keys) {
    return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'is not a known key' }));
  }
  return [{ path: formatPath(issue.path), message: issue.message }];
}
