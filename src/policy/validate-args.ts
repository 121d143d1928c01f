import { lstatSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PATTERN_MISMATCH, checkArgValue, type ActionConfig, type ArgSpec } from '../config/index.js';
import { fail, ok, type Failure, type Result } from '../errors.js';
import type { RequestArg } from '../request/index.js';
import { argumentHint } from './hints.js';

/** Argument values ready to substitute; an absent optional argument has no entry. */
export type ArgValues = ReadonlyMap<string, string>;

/**
 * Checks the request's key=value pairs against the action's declared arguments (docs/config.md "Arguments"). Runs only after authorization. Every defect is `bad_argument` naming the argument.
 */
export function validateArgs(action: ActionConfig, args: readonly RequestArg[]): Result<ArgValues> {
  const values = new Map<string, string>();
  for (const { key, value } of args) {
    // SECURITY: Map lookup: the key comes from the network.
    const spec = action.args.get(key);
    if (spec === undefined) return badArgument(action, 'unknown', key, `unknown argument '${key}'`);
    if (values.has(key)) return badArgument(action, 'twice', key, `argument '${key}' is given twice`);
    const checked = checkOne(spec, value);
    if ('error' in checked) return badArgument(action, checked.error === PATTERN_MISMATCH ? 'pattern' : 'value', key, `argument '${key}' ${checked.error}`);
    values.set(key, checked.value);
  }
  for (const spec of action.args.values()) {
    if (values.has(spec.name)) continue;
    if (spec.default !== null) {
      const checked = checkOne(spec, spec.default);
      if ('error' in checked) return badArgument(action, 'value', spec.name, `default of '${spec.name}' ${checked.error}`);
      values.set(spec.name, checked.value);
    } else if (spec.required) {
      return badArgument(action, 'missing', spec.name, `missing required argument '${spec.name}'`);
    }
  }
  return ok(values);
}

function badArgument(action: ActionConfig, problem: Parameters<typeof argumentHint>[1], argument: string, message: string): { ok: false; error: Failure } {
  return fail('bad_argument', message, { argument, hint: argumentHint(action, problem, argument) });
}

function checkOne(spec: ArgSpec, value: string): { value: string } | { error: string } {
  const checked = checkArgValue(spec, value);
  if ('error' in checked || spec.type !== 'path') return checked;
  return resolveUnderRoot(spec.root, checked.value, spec.mustExist);
}

/**
 * Joins a relative path to its root, proves it stays there and returns it resolved: the realpath of the deepest
 * existing part must be the root's realpath or lie under it, so no symlink leads out, even
 * towards a file yet to be created. Compares whole segments (`/srv/allow-evil` is not
 * under `/srv/allow`).
 */
export function resolveUnderRoot(root: string, relative: string, mustExist: boolean): { value: string } | { error: string } {
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    return { error: 'cannot be resolved on this host' };
  }
  const joined = join(root, relative);
  let existing = joined;
  let real: string | null = null;
  for (;;) {
    try {
      real = realpathSync(existing);
      break;
    } catch {
      // SECURITY: an entry that exists but cannot be resolved is a dangling or looping
      // symlink; following it later could create a file outside the root.
      if (entryExists(existing)) return { error: 'leads outside its root' };
      if (mustExist) return { error: 'does not exist' };
      const parent = dirname(existing);
      if (parent === existing) break;
      existing = parent;
    }
  }
  if (real === null || (real !== realRoot && !real.startsWith(`${realRoot}/`) && realRoot !== '/')) {
    return { error: 'leads outside its root' };
  }
  // SECURITY: the program gets the path that was checked, not the text that was joined: a
  // symlink swapped in after the check is not followed again (docs/config.md "Arguments"). The part not
  // yet existing (`rest`) has no symlink to follow.
  const rest = joined.slice(existing.length);
  return { value: rest === '' ? real : `${real === '/' ? '' : real}${rest}` };
}

function entryExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
