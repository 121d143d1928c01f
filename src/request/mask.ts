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
