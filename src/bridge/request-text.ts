import { quoteValue } from '../request/index.js';
import { STDIN_PROPERTY } from './tool-schema.js';

/**
 * The command text of a tool call (docs/protocol.md §3): `domain action key=value …` with
 * every text value quoted by the grammar's own quoting, so a value is one word whatever it
 * holds. The arguments were checked against the tool's schema before this runs.
 */
export function requestText(domain: string, action: string, args: Readonly<Record<string, unknown>>): string {
  const words = [domain, action];
  for (const [key, value] of Object.entries(args)) {
    if (key === STDIN_PROPERTY || value === undefined) continue;
    words.push(`${key}=${wordValue(value)}`);
  }
  return words.join(' ');
}

function wordValue(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  // -0 is written 0, and a safe integer in decimal: the server's canonical form.
  if (typeof value === 'number') return String(value === 0 ? 0 : value);
  if (typeof value === 'string') return quoteValue(value);
  // INVARIANT: the schemas admit strings, integers and booleans only.
  throw new Error('argument of an unexpected type');
}
