import { SECRET_FIELD_NAMES, SECRET_VALUE_SHAPES } from '../auth/proof-fields.js';
import type { ParsedRequest } from './parse.js';

// {0,} rather than *: the bundle carries this code inside a block comment (ADR 0012).
const SECRET_FIELDS = new RegExp(`\\+(${SECRET_FIELD_NAMES.join('|')})=[^ \\t]{0,}`, 'gi');

/**
 * The raw request as the audit log may hold it after a grammar error: the value of every
 * secret field (`+proof=`, `+sig=`) replaced by `***` (docs/protocol.md §8). The text failed to
 * parse, so words cannot be trusted: quoting can hide the field name (`'+proof'=…`). So
 * every value of the shape a valid proof has is masked as well (the proof schemes
 * name fields and shapes, src/auth/proof-fields.ts).
 */
export function maskProofInRawRequest(raw: string): string {
  let masked = raw.replace(SECRET_FIELDS, (_, name: string) => `+${name.toLowerCase()}=***`);
  for (const shape of SECRET_VALUE_SHAPES) masked = masked.replace(shape, '***');
  return masked;
}

/**
 * The parsed request as the audit log may hold it: the command text with each sensitive
 * argument's value replaced by `***`, and the arguments with those values masked
 * (docs/protocol.md §8). `sensitive` says which argument names the action marks so.
 */
export function maskSensitiveValues(
  request: Pick<ParsedRequest, 'commandText' | 'args'>,
  sensitive: (key: string) => boolean,
): { text: string; args: Array<[string, string]> } {
  let text = request.commandText;
  // From the end, so that earlier offsets stay valid as later words shrink.
  for (const arg of [...request.args].reverse()) {
    if (sensitive(arg.key)) text = `${text.slice(0, arg.start)}${arg.key}=***${text.slice(arg.end)}`;
  }
  return { text, args: request.args.map((arg) => [arg.key, sensitive(arg.key) ? '***' : arg.value]) };
}
