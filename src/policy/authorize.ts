import type { ActionConfig, Config, DomainConfig } from '../config/index.js';
import { fail, levelAtLeast, ok, type Level, type Result } from '../errors.js';
import { unknownActionHint, unknownDomainHint } from './hints.js';

/** The effective rights of one request: the key's, raised by a verified proof. */
export interface Caller {
  readonly level: Level;
  readonly tags: readonly string[];
}

export { levelAtLeast };

/** Tags isolate tenants: an untagged action is shared, a tagged one needs a common tag. */
export function tagsMatch(action: ActionConfig, caller: Caller): boolean {
  return action.tags.length === 0 || action.tags.some((tag) => caller.tags.includes(tag));
}

/** Visible = the caller may run it (docs/protocol.md §6); help and list show nothing else. */
export function isVisible(action: ActionConfig, caller: Caller): boolean {
  return tagsMatch(action, caller) && levelAtLeast(caller.level, action.level);
}

/**
 * Finds the action a caller asked for (docs/protocol.md §6). Hidden domains and actions get
 * exactly the answer a name that is not configured gets, so tags leak nothing.
 */
export function authorize(config: Config, domainName: string, actionName: string, caller: Caller): Result<ActionConfig> {
  // SECURITY: Map lookup: the names come from the network.
  const domain = config.domains.get(domainName);
  if (domain === undefined || !domainExistsFor(domain, caller)) {
    return fail('unknown_domain', `unknown domain '${domainName}'`, { hint: unknownDomainHint(config, caller, domainName, actionName) });
  }
  const action = domain.actions.get(actionName);
  if (action === undefined || !tagsMatch(action, caller)) {
    return fail('unknown_action', `unknown action '${actionName}' in domain '${domainName}'`, { hint: unknownActionHint(config, caller, domainName, actionName) });
  }
  if (!levelAtLeast(caller.level, action.level)) {
    return fail('insufficient_level', `'${domainName} ${actionName}' needs level ${action.level}`, {
      required_level: action.level,
    });
  }
  return ok(action);
}

function domainExistsFor(domain: DomainConfig, caller: Caller): boolean {
  for (const action of domain.actions.values()) if (tagsMatch(action, caller)) return true;
  return false;
}
