import type { Config } from '../config/index.js';
import type { CheckWarning } from './_check-warning.js';
import { writableDirectories } from './_writable-dirs.js';

/** Warnings about a valid config that serves, but less safely than it seems (docs/config.md "portcullis check"). */
export function configWarnings(config: Config): CheckWarning[] {
  return [...serverIdWarnings(config), ...negativeIntWarnings(config), ...pathRootWarnings(config)];
}

function serverIdWarnings(config: Config): CheckWarning[] {
  if ((config.tokens.size === 0 && config.signers.size === 0) || config.server.id !== '') return [];
  return [{
    path: 'server.id', code: 'server_id_empty',
    message: 'empty while tokens or signers are configured: a proof is bound to no host, so it runs once on every host that shares the secret or trusts the key; set a distinct id per host',
  }];
}

/** An `int` that may be negative, alone in an argv element, can reach the program as an option (`-1`). */
function negativeIntWarnings(config: Config): CheckWarning[] {
  const warnings: CheckWarning[] = [];
  for (const domain of config.domains.values()) {
    for (const action of domain.actions.values()) {
      action.exec.forEach((element, index) => {
        const only = element.parts.length === 1 ? element.parts[0] : undefined;
        if (index === 0 || only === undefined || !('placeholder' in only)) return;
        const spec = action.args.get(only.placeholder);
        if (spec?.type !== 'int' || spec.min === null || spec.min >= 0) return;
        warnings.push({
          path: `domains.${domain.name}.actions.${action.name}.exec[${index}]`, code: 'int_negative_argv',
          message: `{${only.placeholder}} is an int with min ${spec.min} as a whole argument: a negative value reaches the program as an option; write it as --opt={${only.placeholder}} or after --`,
        });
      });
    }
  }
  return warnings;
}

function pathRootWarnings(config: Config): CheckWarning[] {
  const warnings: CheckWarning[] = [];
  const walked = new Map<string, ReturnType<typeof writableDirectories>>();
  for (const domain of config.domains.values()) {
    for (const action of domain.actions.values()) {
      for (const spec of action.args.values()) {
        if (spec.type !== 'path') continue;
        let result = walked.get(spec.root);
        if (result === undefined) {
          result = writableDirectories(spec.root);
          walked.set(spec.root, result);
        }
        const path = `domains.${domain.name}.actions.${action.name}.args.${spec.name}.root`;
        if (result.found.length > 0) {
          const shown = result.found.slice(0, 5).join(', ');
          const more = result.found.length > 5 ? ` and ${result.found.length - 5} more` : '';
          warnings.push({
            path, code: 'path_root_writable',
            message: `writable by group or others: ${shown}${more}; another account can plant or swap what this action reads or writes`,
          });
        }
        if (result.truncated) {
          warnings.push({ path, code: 'path_root_walk_truncated', message: `${spec.root} is too large or deep to walk in full; directories not looked at may be writable by others` });
        }
      }
    }
  }
  return warnings;
}
