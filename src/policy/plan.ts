import type { ActionConfig, Template } from '../config/index.js';
import type { Level } from '../errors.js';
import type { ExecPlan } from '../exec/plan.js';
import type { ArgValues } from './validate-args.js';

export interface PlanContext {
  readonly domain: string;
  readonly action: string;
  readonly identity: string;
  readonly requestId: string;
  readonly level: Level;
}

/**
 * Builds argv and env (docs/config.md, §7.1): placeholders are replaced as-is, with no
 * splitting or quoting; an element or env entry naming an absent optional argument is
 * dropped; the environment is exactly server.env + action.env + PORTCULLIS_*.
 */
export function planExecution(
  action: ActionConfig,
  values: ArgValues,
  serverEnv: ReadonlyMap<string, string>,
  context: PlanContext,
): ExecPlan {
  const lookup = (name: string): string | undefined => {
    switch (name) {
      case 'domain':
        return context.domain;
      case 'action':
        return context.action;
      case 'identity':
        return context.identity;
      case 'request_id':
        return context.requestId;
      default:
        return values.get(name);
    }
  };
  const argv = action.exec.flatMap((template) => {
    const text = substitute(template, lookup);
    return text === null ? [] : [text];
  });
  const env = Object.create(null) as Record<string, string>;
  for (const [key, value] of serverEnv) env[key] = value;
  for (const [key, template] of action.env) {
    const text = substitute(template, lookup);
    if (text !== null) env[key] = text;
  }
  env.PORTCULLIS_REQUEST_ID = context.requestId;
  env.PORTCULLIS_IDENTITY = context.identity;
  env.PORTCULLIS_LEVEL = context.level;
  env.PORTCULLIS_DOMAIN = context.domain;
  env.PORTCULLIS_ACTION = context.action;
  // INVARIANT: exec[0] is an absolute path without placeholders (config rule), so argv[0] exists.
  const [file, ...args] = argv as [string, ...string[]];
  return {
    file,
    args,
    env,
    cwd: action.cwd,
    timeoutMs: action.timeout * 1000,
    maxOutputBytes: action.maxOutputBytes,
  };
}

function substitute(template: Template, lookup: (name: string) => string | undefined): string | null {
  let text = '';
  for (const part of template.parts) {
    if ('literal' in part) {
      text += part.literal;
      continue;
    }
    const value = lookup(part.placeholder);
    if (value === undefined) return null;
    text += value;
  }
  return text;
}
