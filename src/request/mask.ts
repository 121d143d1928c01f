import type { ParsedRequest } from './parse.js';

/**
 * The raw request as the audit log may hold it after a grammar error: the value of every
 * `+proof=` word replaced by `***` (docs/protocol.md §8). The text failed to parse, so words cannot
 * be trusted: quoting can hide the field name (`'+proof'=…`). So every run of 64 hex
 * digits, the only shape a valid proof has, is masked as well.
 */
export function maskProofInRawRequest(raw: string): string {
  // {0,} rather than *: the bundle carries this code inside a block comment (ADR 0012).
  return raw.replace(/\+proof=[^ \t]{0,}/gi, '+proof=***').replace(/[0-9a-f]{64}/gi, '***');
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
