import { assertNever } from '../errors.js';
import type { ArgSpec } from './types.js';

/**
 * Checks one argument value against its declared type (docs/config.md "Arguments") and returns the text
 * that will be substituted. Pure: `path` containment on disk is the policy stage's job.
 * Messages never echo the value, since it may be sensitive.
 */
/** The error of a string that breaks its pattern; the refusal's hint then shows the pattern. */
export const PATTERN_MISMATCH = 'does not match the required pattern';

export function checkArgValue(spec: ArgSpec, value: string): { value: string } | { error: string } {
  switch (spec.type) {
    case 'string':
      return checkString(spec, value);
    case 'enum':
      return spec.values.includes(value) ? { value } : { error: `must be one of: ${spec.values.join(', ')}` };
    case 'int':
      return checkInt(spec, value);
    case 'bool':
      return value === 'true' || value === 'false' ? { value } : { error: 'must be true or false' };
    case 'path':
      return checkRelativePath(value);
    default:
      return assertNever(spec);
  }
}

function checkString(spec: Extract<ArgSpec, { type: 'string' }>, value: string): { value: string } | { error: string } {
  const length = [...value].length;
  if (length > spec.maxLength) return { error: `is longer than ${spec.maxLength} characters` };
  if (length < spec.minLength) return { error: `is shorter than ${spec.minLength} characters` };
  // SECURITY: a value starting with '-' could become an option of the program it is passed to.
  if (value.startsWith('-') && !spec.allowLeadingDash) return { error: 'must not start with -' };
  if (spec.pattern !== null && !spec.pattern.test(value)) return { error: PATTERN_MISMATCH };
  return { value };
}

function checkInt(spec: Extract<ArgSpec, { type: 'int' }>, value: string): { value: string } | { error: string } {
  if (!/^-?(0|[1-9][0-9]*)$/.test(value)) return { error: 'must be a whole number' };
  const number = Number(value);
  if (!Number.isSafeInteger(number)) return { error: 'is out of range' };
  // SECURITY: without a written negative min, min is 0, so no value can become an option
  // of the program (`kill -s 0 {pid}` with pid=-1); docs/config.md "Arguments".
  const min = spec.min ?? 0;
  if (number < min || (spec.max !== null && number > spec.max)) {
    return { error: `must be between ${min} and ${spec.max ?? 'any'}` };
  }
  return { value: String(number === 0 ? 0 : number) };
}

/** A relative path with no empty, `.` or `..` segment and no leading `/`. */
export function checkRelativePath(value: string): { value: string } | { error: string } {
  if (value === '' || value.startsWith('/')) return { error: 'must be a relative path' };
  if (value.includes('\0')) return { error: 'must not contain NUL' };
  for (const segment of value.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return { error: 'must not contain empty, . or .. segments' };
  }
  return { value };
}
