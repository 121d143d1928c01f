import { parse as parseToml, TomlError } from 'smol-toml';
import { compileConfig } from './_compile.js';
import { checkSecureFile } from './_permissions.js';
import { readCapped } from './_read.js';
import { configSchema } from './_schema.js';
import { formatPath, schemaProblems, tomlProblem } from './_messages.js';
import { unreadableHint } from './_access-hint.js';
import type { ConfigProblem, LoadResult } from './types.js';

const FILE = '(file)';

/**
 * Loads and validates a configuration (docs/config.md): permissions before parsing, a size
 * cap, TOML, the strict schema, then the cross-field rules. Never throws.
 */
export function loadConfig(path: string): LoadResult {
  const permissionProblems = checkSecureFile(path, { secret: false });
  if (permissionProblems.length > 0) return failed(permissionProblems.map((message) => ({ path: FILE, message })));

  const read = readCapped(path);
  if ('error' in read) return failed([{ path: FILE, message: (read.error.endsWith('EACCES') ? unreadableHint(path) : null) ?? read.error }]);
  return loadConfigBytes(path, read.bytes, read.mode);
}

/**
 * The same from bytes already read (and permission-checked) by the caller: the compiled form
 * falls back to it with the exact bytes its hash was checked against (ADR 0019).
 */
export function loadConfigBytes(path: string, bytes: Buffer, mode: number): LoadResult {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return failed([{ path: FILE, message: 'is not valid UTF-8' }]);
  }

  let document: unknown;
  try {
    document = parseToml(text);
  } catch (error) {
    if (error instanceof TomlError) return failed([tomlProblem(error, text)]);
    return failed([{ path: FILE, message: error instanceof Error ? (error.message.split('\n')[0] ?? 'invalid TOML') : 'invalid TOML' }]);
  }

  const shapeProblems = findUnsafeKeysAndValues(document, []);
  if (shapeProblems.length > 0) return failed(shapeProblems);

  const parsed = configSchema.safeParse(document);
  if (!parsed.success) return failed(schemaProblems(parsed.error.issues, document, configSchema));

  const compiled = compileConfig(parsed.data, path, (mode & 0o004) !== 0);
  if (compiled.config === null) return { ok: false, errors: compiled.errors, warnings: compiled.warnings };
  return { ok: true, config: compiled.config, warnings: compiled.warnings };
}

function failed(errors: ConfigProblem[]): LoadResult {
  return { ok: false, errors, warnings: [] };
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
