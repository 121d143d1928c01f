/**
 * The raw request as the audit log may hold it after a grammar error: the value of every
 * `+proof=` word replaced by `***` (CONTRACT §8). Applied to text that failed to parse, so it
 * masks up to the next whitespace, quotes included.
 */
export function maskProofInRawRequest(raw: string): string {
  return raw.replace(/\+proof=[^ \t]*/gi, '+proof=***');
}
