import type { ActionConfig, ArgSpec, Config } from '../config/index.js';
import { fail, ok, type Result } from '../errors.js';
import { isVisible, type Caller } from './authorize.js';
import { unknownActionHint, unknownDomainHint } from './hints.js';

export interface ArgDescription {
  name: string;
  type: string;
  description: string;
  required: boolean;
  default?: string | number | boolean;
  values?: readonly string[];
  min?: number;
  max?: number;
  max_length?: number;
  min_length?: number;
  pattern?: string;
  allow_leading_dash?: boolean;
  must_exist?: boolean;
  sensitive: boolean;
}

export interface ActionDescription {
  name: string;
  description: string;
  level: string;
  tags: readonly string[];
  stdin: false | { max_bytes: number };
  effects: 'read' | 'write' | 'destructive';
  idempotent: boolean;
  examples: readonly string[];
  output: 'json' | 'raw';
  /** Seconds the server lets the action run; the MCP bridge waits a little longer (docs/mcp.md). */
  timeout: number;
  args: ArgDescription[];
}

export interface DomainDescription {
  name: string;
  description: string;
  actions: ActionDescription[];
}

/**
 * `help [domain [action]]` (docs/protocol.md §6, §7.2): visible actions only; a domain with no
 * visible action answers exactly like one that is not configured.
 */
export function describeVisible(config: Config, caller: Caller, domainName: string | null, actionName: string | null): Result<DomainDescription[]> {
  const described: DomainDescription[] = [];
  for (const domain of config.domains.values()) {
    if (domainName !== null && domain.name !== domainName) continue;
    const actions = [...domain.actions.values()]
      .filter((action) => isVisible(action, caller) && (actionName === null || action.name === actionName))
      .map(describeAction);
    if (actions.length > 0) described.push({ name: domain.name, description: domain.description, actions });
  }
  if (domainName !== null && described.length === 0) {
    const visibleDomain = [...(config.domains.get(domainName)?.actions.values() ?? [])].some((a) => isVisible(a, caller));
    if (!visibleDomain) return fail('unknown_domain', `unknown domain '${domainName}'`, { hint: unknownDomainHint(config, caller, domainName, actionName) });
    return fail('unknown_action', `unknown action '${actionName ?? ''}' in domain '${domainName}'`, { hint: unknownActionHint(config, caller, domainName, actionName ?? '') });
  }
  return ok(described);
}

/**
 * `list`: one line per visible action, `domain action key=<type|a|b> [opt=<int>]`, ending in
 * ` < stdin` when it reads stdin and ` > raw` when its stdout is the raw download.
 */
export function listVisible(config: Config, caller: Caller): string[] {
  const lines: string[] = [];
  for (const domain of config.domains.values()) {
    for (const action of domain.actions.values()) {
      if (!isVisible(action, caller)) continue;
      const args = [...action.args.values()].map((spec) => {
        const shape = `${spec.name}=<${spec.type === 'enum' ? spec.values.join('|') : spec.type}>`;
        return spec.required ? shape : `[${shape}]`;
      });
      lines.push([domain.name, action.name, ...args, ...(action.stdin !== null ? ['< stdin'] : []), ...(action.output === 'raw' ? ['> raw'] : [])].join(' '));
    }
  }
  return lines;
}

function describeAction(action: ActionConfig): ActionDescription {
  return {
    name: action.name,
    description: action.description,
    level: action.level,
    tags: action.tags,
    stdin: action.stdin === null ? false : { max_bytes: action.stdin.maxBytes },
    // Unset: a read action is presented as read-only, any other as destructive (docs/config.md).
    effects: action.effects ?? (action.level === 'read' ? 'read' : 'destructive'),
    idempotent: action.idempotent,
    examples: action.examples,
    output: action.output,
    timeout: action.timeout,
    args: [...action.args.values()].map(describeArg),
  };
}

function describeArg(spec: ArgSpec): ArgDescription {
  const description: ArgDescription = { name: spec.name, type: spec.type, description: spec.description, required: spec.required, sensitive: spec.sensitive };
  if (spec.default !== null && !spec.sensitive) description.default = typedDefault(spec, spec.default);
  if (spec.type === 'enum') description.values = spec.values;
  if (spec.type === 'int') {
    if (spec.min !== null) description.min = spec.min;
    if (spec.max !== null) description.max = spec.max;
  }
  if (spec.type === 'string') {
    description.max_length = spec.maxLength;
    description.min_length = spec.minLength;
    if (spec.patternSource !== null) description.pattern = spec.patternSource;
    description.allow_leading_dash = spec.allowLeadingDash;
  }
  if (spec.type === 'path') description.must_exist = spec.mustExist;
  return description;
}

function typedDefault(spec: ArgSpec, text: string): string | number | boolean {
  if (spec.type === 'int') return Number(text);
  if (spec.type === 'bool') return text === 'true';
  return text;
}

/** What `help` with no argument adds to the domains (docs/protocol.md §7.2). */
export const HELP_OVERVIEW = {
  usage:
    'domain action name=value …, sent as one quoted ssh argument so that your shell keeps the quotes ' +
    `(ssh HOST 'domain action name="two words"'); a bool is name=true or name=false; a value holding ` +
    'spaces or other characters goes in single or double quotes; an action that reads stdin takes ' +
    "ssh's (< file); one action per call",
  builtins: [
    {
      name: 'help',
      description: 'what you may run, with every argument rule',
      args: [
        { name: 'domain', required: false },
        { name: 'action', required: false },
      ],
    },
    { name: 'list', description: 'one line per action you may run', args: [] },
    { name: 'whoami', description: 'your identity, level and tags', args: [] },
    { name: 'session', description: 'many requests over one connection (ssh -T HOST session), when the host enables it', args: [] },
  ],
  scope: 'only what this caller may run is listed; other domains and actions may exist',
} as const;

/** `whoami` (docs/protocol.md §7.2): who this request runs as, after any proof. */
export function describeCaller(who: { readonly identity: string; readonly token: string | null; readonly signer?: string; readonly client: string | null }, caller: Caller): Record<string, unknown> {
  return { identity: who.identity, level: caller.level, tags: caller.tags, token: who.token, signer: who.signer ?? null, client: who.client };
}
