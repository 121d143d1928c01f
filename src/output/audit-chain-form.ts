import { nodeCrypto } from '../builtins.js';

/**
 * The exact bytes of a chained record (docs/audit.md "The byte form"). A record `R` is the
 * JSON text ending in `"seq":N,"prev":"<hex>"}`; its chain is SHA-256 of `prev` LF `R`; the
 * line written is `R` with its final `}` replaced by `,"chain":"<hex>"}`. Verifying strips that
 * exact suffix and puts the `}` back: nothing is ever re-serialised.
 */

export const GENESIS = '0'.repeat(64);

/** Where a chained line says it sits in the chain. */
export interface ChainLink {
  readonly seq: number;
  readonly prev: string;
  readonly chain: string;
}

const CHAIN_SUFFIX_LENGTH = ',"chain":"'.length + 64 + '"}'.length;
// Anchored at the end of the line: the members the writer put last, nothing after them.
const LINK = /,"seq":(0|[1-9][0-9]{0,15}),"prev":"([0-9a-f]{64})","chain":"([0-9a-f]{64})"\}$/;

/** The chain of the record text `record` (R, without its line feed) after `prev`. */
export function chainOf(prev: string, record: Buffer | string): string {
  return nodeCrypto().createHash('sha256').update(prev, 'latin1').update('\n', 'latin1').update(record).digest('hex');
}

/** The line (with its LF) for a record serialised by `serialise` with `seq` and `prev` as its last members. */
export function chainedLine(record: Record<string, unknown>, seq: number, prev: string, serialise: (value: unknown) => string): { line: string; chain: string } {
  // serialise returns one JSON line: strip its LF to get R.
  const text = serialise({ ...withoutLink(record), seq, prev });
  const r = text.endsWith('\n') ? text.slice(0, -1) : text;
  const chain = chainOf(prev, Buffer.from(r, 'utf8'));
  return { line: `${r.slice(0, -1)},"chain":"${chain}"}\n`, chain };
}

/**
 * Splits a line (without its LF) into R and its link, or null when it does not end in the
 * chained form. The link's `chain` is what the line claims; the caller recomputes it.
 */
export function splitChained(line: Buffer): { record: Buffer; link: ChainLink } | null {
  // Only the tail can hold the link: a bounded ASCII window, never the whole line.
  const tail = line.subarray(Math.max(0, line.length - 256)).toString('latin1');
  const match = LINK.exec(tail);
  if (match === null || line[0] !== 0x7b) return null;
  const seq = Number(match[1]);
  if (!Number.isSafeInteger(seq)) return null;
  const record = Buffer.concat([line.subarray(0, line.length - CHAIN_SUFFIX_LENGTH), Buffer.from('}', 'latin1')]);
  // INVARIANT: LINK has three capture groups and matched.
  return { record, link: { seq, prev: match[2] as string, chain: match[3] as string } };
}

/** Whether the record text is a `chain_reset` (the writer puts `ts` then `event` first). */
export function isChainReset(record: Buffer): boolean {
  return /^\{"ts":"[^"]{1,40}","event":"chain_reset"/.test(record.subarray(0, 80).toString('latin1'));
}

function withoutLink(record: Record<string, unknown>): Record<string, unknown> {
  // SECURITY: a caller's field can never pose as the link: seq/prev are always the writer's, and last.
  const { seq: _seq, prev: _prev, chain: _chain, ...rest } = record;
  return rest;
}
