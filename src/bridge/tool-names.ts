import { createHash } from 'node:crypto';

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX = 64;

/**
 * A tool's name (docs/mcp.md "Tools"): `<domain>_<action>`, or `<alias>_<domain>_<action>`
 * when the bridge serves several hosts; past 64 characters, cut and suffixed with `_` and
 * six hex digits of the full name's SHA-256, so that two long names stay apart.
 */
export function toolName(alias: string | null, domain: string, action: string): string {
  const full = `${alias === null ? '' : `${alias}_`}${domain}_${action}`;
  const name = full.length <= MAX ? full : `${full.slice(0, MAX - 7)}_${createHash('sha256').update(full).digest('hex').slice(0, 6)}`;
  // INVARIANT: aliases, domains and actions are [a-z0-9_-] (checked before this is called).
  if (!TOOL_NAME.test(name)) throw new Error('tool name outside [a-zA-Z0-9_-]');
  return name;
}
