import { parseRequest } from '../request/index.js';
import { checkArgValue } from './arg-values.js';
import type { ArgSpec } from './types.js';

/**
 * Why an action's `examples` entry would be refused, or null (docs/config.md): an example
 * help shows must be a request the server accepts. Path containment is checked when a
 * request is served, against the host's files then, so it is not checked here.
 */
export function checkExample(example: string, domain: string, action: string, args: ReadonlyMap<string, ArgSpec>): string | null {
  const parsed = parseRequest(example, 65536);
  if (!parsed.ok) return `does not parse: ${parsed.error.message}`;
  const request = parsed.value;
  if (request.proofFields !== null || request.stdinSha256 !== null) return 'must not carry proof fields';
  if (request.domain !== domain || request.action !== action) return `must be a request for '${domain} ${action}'`;
  const given = new Set<string>();
  for (const { key, value } of request.args) {
    // SECURITY: Map lookup: the key comes from the file, but is looked up as a plain name.
    const spec = args.get(key);
    if (spec === undefined) return `names the undeclared argument '${key}'`;
    if (given.has(key)) return `gives '${key}' twice`;
    given.add(key);
    const checked = checkArgValue(spec, value);
    if ('error' in checked) return `argument '${key}' ${checked.error}`;
  }
  for (const spec of args.values()) if (spec.required && !given.has(spec.name)) return `misses the required argument '${spec.name}'`;
  return null;
}
