import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { errorCode } from '../errors.js';
import { GENESIS, chainOf, isChainReset, splitChained, type ChainLink } from './audit-chain-form.js';
import { fileLines } from './audit-lines.js';

/** What is wrong with a chained log (docs/audit.md "verify-audit"). */
export type ProblemKind =
  | 'missing' | 'empty' | 'unreadable' | 'partial' | 'unchained' | 'edited' | 'inserted' | 'deleted' | 'reordered'
  | 'head_cut' | 'reset' | 'tail_cut';

export interface AuditProblem {
  /** 1-based; for a tail cut, the line after the last one. 0 when the file itself is the problem. */
  readonly line: number;
  readonly kind: ProblemKind;
  readonly detail: string;
}

/** A seal as verification uses it: where the chain stood in which file, and when. */
export interface SealPoint {
  readonly ts: string;
  readonly seq: number;
  readonly chain: string;
  readonly ino: number;
}

export interface AuditSummary {
  readonly records: number;
  readonly ino: number;
  readonly first: { readonly seq: number; readonly prev: string } | null;
  readonly last: { readonly seq: number; readonly chain: string } | null;
  /** Seals whose record is in this file and whose chain matched. */
  readonly sealsMatched: number;
}

export type VerifyResult = { readonly ok: true; readonly summary: AuditSummary } | { readonly ok: false; readonly problem: AuditProblem; readonly summary: AuditSummary };

/**
 * Verifies a chained log from its bytes, without re-serialising any JSON. Fails closed: the
 * first bad line is named. `segment` lets a rotated part start after genesis; `seals`
 * catch an edit the writer re-chained, and a cut tail of the file they were made on.
 */
export function verifyAuditLog(path: string, options: { segment: boolean; seals: readonly SealPoint[] }): VerifyResult {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const missing = errorCode(error) === 'ENOENT';
    return fail({ line: 0, kind: missing ? 'missing' : 'unreadable', detail: missing ? `${path} does not exist` : `${path} cannot be read: ${errorCode(error)}` }, emptySummary(0));
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return fail({ line: 0, kind: 'unreadable', detail: `${path} is not a regular file` }, emptySummary(stats.ino));
    return new Walk(options, stats.ino).run(fileLines(fd));
  } catch (error) {
    return fail({ line: 0, kind: 'unreadable', detail: `${path} cannot be read: ${errorCode(error)}` }, emptySummary(0));
  } finally {
    closeSync(fd);
  }
}

class Walk {
  private records = 0;
  private first: { seq: number; prev: string } | null = null;
  private last: ChainLink | null = null;
  private sealsMatched = 0;
  /** The last line whose seal matched: an edit found by a later seal lies after it. */
  private lastSealedLine = 0;
  private readonly seals = new Map<number, SealPoint[]>();

  constructor(
    private readonly options: { segment: boolean; seals: readonly SealPoint[] },
    private readonly ino: number,
  ) {
    for (const seal of options.seals) this.seals.set(seal.seq, [...(this.seals.get(seal.seq) ?? []), seal]);
  }

  run(lines: Iterable<{ bytes: Buffer; complete: boolean }>): VerifyResult {
    const iterator = lines[Symbol.iterator]();
    for (let next = iterator.next(); next.done !== true; next = iterator.next()) {
      const number = this.records + 1;
      const problem = this.check(next.value.bytes, next.value.complete, number);
      if (problem === 'ahead') return fail(this.classifyGap(number, iterator), this.summary());
      if (problem !== null) return fail(problem, this.summary());
    }
    if (this.records === 0) return fail({ line: 0, kind: 'empty', detail: 'the log holds no record' }, this.summary());
    const cut = this.headCut() ?? this.tailCut();
    return cut === null ? { ok: true, summary: this.summary() } : fail(cut, this.summary());
  }

  /** null for a good line; 'ahead' when its seq skips forward (deleted or reordered: look further). */
  private check(bytes: Buffer, complete: boolean, line: number): AuditProblem | 'ahead' | null {
    if (!complete) return { line, kind: 'partial', detail: 'the last line has no line feed: a record was cut short' };
    const split = splitChained(bytes);
    if (split === null) return { line, kind: 'unchained', detail: 'the line does not end in "seq", "prev" and "chain"' };
    const { link, record } = split;
    if (chainOf(link.prev, record) !== link.chain) return { line, kind: 'edited', detail: `seq ${link.seq}: its chain does not match its bytes` };
    if (isChainReset(record)) return { line, kind: 'reset', detail: `seq ${link.seq}: the writer found the chain broken here and restarted it (see the record's reason)` };
    const previous = this.last;
    if (previous === null) {
      if (!this.options.segment && link.seq !== 0) return { line, kind: 'head_cut', detail: `the log starts at seq ${link.seq}, not at genesis (seq 0): records were cut from its start` };
      if (link.seq === 0 && link.prev !== GENESIS) return { line, kind: 'edited', detail: 'seq 0 does not link to genesis' };
    } else {
      const expected = previous.seq + 1;
      if (link.seq > expected) return 'ahead';
      if (link.seq < expected) {
        const earlier = line - (expected - link.seq);
        return { line, kind: 'inserted', detail: `seq ${link.seq} again (first at line ${earlier}): a record was inserted` };
      }
      if (link.prev !== previous.chain) {
        return { line: line - 1, kind: 'edited', detail: `seq ${previous.seq}: line ${line} recorded another chain for it: it was edited and re-chained, or line ${line} replaced` };
      }
    }
    const sealed = this.checkSeals(link, line);
    if (sealed !== null) return sealed;
    this.records += 1;
    this.first ??= { seq: link.seq, prev: link.prev };
    this.last = link;
    return null;
  }

  private checkSeals(link: ChainLink, line: number): AuditProblem | null {
    for (const seal of this.seals.get(link.seq) ?? []) {
      if (seal.chain !== link.chain) {
        return { line, kind: 'edited', detail: `seq ${link.seq}: its chain differs from the seal of ${seal.ts}: a record after line ${this.lastSealedLine} and up to this one was edited and re-chained` };
      }
      this.sealsMatched += 1;
      this.lastSealedLine = line;
    }
    return null;
  }

  /** A forward jump: the missing seqs come later (reordered) or nowhere (deleted). */
  private classifyGap(line: number, rest: Iterator<{ bytes: Buffer }>): AuditProblem {
    // INVARIANT: 'ahead' is returned only after a previous line set `last`.
    const expected = (this.last as ChainLink).seq + 1;
    let reorderedAt = 0;
    let seen = line;
    for (let next = rest.next(); next.done !== true && reorderedAt === 0; next = rest.next()) {
      seen += 1;
      const seq = splitChained(next.value.bytes)?.link.seq;
      if (seq === expected) reorderedAt = seen;
    }
    if (reorderedAt > 0) return { line, kind: 'reordered', detail: `seq ${expected} was expected here; it is at line ${reorderedAt}` };
    return { line, kind: 'deleted', detail: `seq ${expected} was expected here: records were deleted before this line` };
  }

  /**
   * A seal made on this very file names a record before its first: its head was cut. A
   * rotated part may start later than genesis (`--segment`), but never later than what was
   * sealed in it.
   */
  private headCut(): AuditProblem | null {
    const firstSeq = this.first?.seq;
    if (firstSeq === undefined) return null;
    let earliest: SealPoint | null = null;
    for (const seal of this.options.seals) if (seal.ino === this.ino && seal.seq < firstSeq && (earliest === null || seal.seq < earliest.seq)) earliest = seal;
    if (earliest === null) return null;
    return { line: 1, kind: 'head_cut', detail: `the log starts at seq ${firstSeq}, but the seal of ${earliest.ts} saw seq ${earliest.seq} in this file: records were cut from its start` };
  }

  /** A seal made on this very file names a record past its end: its tail was cut. */
  private tailCut(): AuditProblem | null {
    const lastSeq = this.last?.seq ?? -1;
    let furthest: SealPoint | null = null;
    for (const seal of this.options.seals) if (seal.ino === this.ino && seal.seq > lastSeq && (furthest === null || seal.seq > furthest.seq)) furthest = seal;
    if (furthest === null) return null;
    return { line: this.records + 1, kind: 'tail_cut', detail: `the log ends at seq ${lastSeq}, but the seal of ${furthest.ts} saw seq ${furthest.seq} in this file: records were cut from its end` };
  }

  private summary(): AuditSummary {
    return { records: this.records, ino: this.ino, first: this.first, last: this.last === null ? null : { seq: this.last.seq, chain: this.last.chain }, sealsMatched: this.sealsMatched };
  }
}

function fail(problem: AuditProblem, summary: AuditSummary): VerifyResult {
  return { ok: false, problem, summary };
}

function emptySummary(ino: number): AuditSummary {
  return { records: 0, ino, first: null, last: null, sealsMatched: 0 };
}
