import type { ActionConfig, ArgSpec, Config } from '../config/index.js';
import { isVisible, type Caller } from './authorize.js';
import { closest } from './did-you-mean.js';

/**
 * Hints that name real things (docs/protocol.md §7.2): only what this caller may run, so a
 * hint for a hidden name reads exactly as one for a name that is not configured. Built only
 * on the refusal path.
 */

export const REQUEST_FORM = 'a request is one action: domain action name=value …';
export const NOT_A_SHELL = 'this is not a shell';

export function visibleActions(config: Config, caller: Caller, domainName: string): ActionConfig[] {
  // SECURITY: Map lookup: the name comes from the network.
  const domain = config.domains.get(domainName);
  return domain === undefined ? [] : [...domain.actions.values()].filter((action) => isVisible(action, caller));
}

export function isVisibleDomain(config: Config, caller: Caller, domainName: string): boolean {
  return visibleActions(config, caller, domainName).length > 0;
}

function allVisibleActions(config: Config, caller: Caller): ActionConfig[] {
  const actions: ActionConfig[] = [];
  for (const domain of config.domains.values()) for (const action of domain.actions.values()) if (isVisible(action, caller)) actions.push(action);
  return actions;
}

/** `infra uptime`, or `files cat file=…` when it needs arguments: a request to try. */
export function requestFor(action: ActionConfig): string {
  const required = [...action.args.values()].filter((spec) => spec.required).map((spec) => `${spec.name}=…`);
  return [action.domain, action.name, ...required].join(' ');
}

/** The visible action called `word` (exactly, else the nearest), when the caller typed an action where a domain goes. */
export function actionNamed(config: Config, caller: Caller, word: string, nearMiss = true): ActionConfig | null {
  const actions = allVisibleActions(config, caller);
  const exact = actions.find((action) => action.name === word.toLowerCase());
  if (exact !== undefined || !nearMiss) return exact ?? null;
  const name = closest(word, actions.map((action) => action.name));
  return actions.find((action) => action.name === name) ?? null;
}

/** For a first word that is no visible domain: the nearest domain or action to try, else `list`. */
export function unknownDomainHint(config: Config, caller: Caller, word: string, secondWord: string | null = null): string {
  const domains = [...config.domains.keys()].filter((name) => isVisibleDomain(config, caller, name));
  const domain = closest(word, domains);
  if (domain !== null) {
    const action = secondWord === null ? null : visibleActions(config, caller, domain).find((a) => a.name === secondWord);
    return action !== undefined && action !== null ? `did you mean: ${requestFor(action)}` : `did you mean: ${domain}; try: help ${domain}`;
  }
  const action = actionNamed(config, caller, word) ?? (secondWord === null ? null : actionNamed(config, caller, secondWord, false));
  return action !== null ? `did you mean: ${requestFor(action)}` : 'try: list';
}

/** For an action word that is not one of the domain's visible actions. */
export function unknownActionHint(config: Config, caller: Caller, domainName: string, word: string): string {
  const names = visibleActions(config, caller, domainName).map((action) => action.name);
  if (names.length === 0) return 'try: list';
  if (word === 'help' || word === '--help' || word === '-h') return `try: help ${domainName}`;
  const near = closest(word.replace(/^-+/, ''), names);
  return `${near !== null ? `did you mean: ${domainName} ${near}; ` : ''}actions in ${domainName}: ${names.join(', ')}`;
}

/** `accepted: a, b`, or that the action takes none. */
export function acceptedArguments(action: ActionConfig): string {
  const names = [...action.args.keys()];
  return names.length === 0 ? `${action.domain} ${action.name} takes no arguments` : `accepted: ${names.join(', ')}`;
}

/** The hint of a bad_argument refusal; never echoes a value (it may be sensitive). */
export function argumentHint(action: ActionConfig, problem: 'unknown' | 'twice' | 'missing' | 'pattern' | 'value', key: string): string {
  const help = `see: help ${action.domain} ${action.name}`;
  // SECURITY: Map lookup: the key comes from the network.
  const spec: ArgSpec | undefined = action.args.get(key);
  if (problem === 'unknown') {
    const near = closest(key, action.args.keys());
    return `${near !== null ? `did you mean: ${near}=…; ` : ''}${acceptedArguments(action)}; ${help}`;
  }
  if (problem === 'missing') return `try: ${requestFor(action)}; ${help}`;
  if (problem === 'pattern' && spec?.type === 'string' && spec.patternSource !== null) return `the value must match the pattern ${spec.patternSource}; ${help}`;
  return help;
}

/** An action's stdin never ended (docs/protocol.md §7.3): ssh was still waiting for a terminal. */
export function stdinTimeoutHint(action: ActionConfig): string {
  return `${action.domain} ${action.name} reads stdin to its end: send a file (ssh <host> '${requestFor(action)}' < file), or nothing (ssh -n)`;
}
