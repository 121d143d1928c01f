import { fstatSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from '../auth/state-dir.js';
import { GENESIS, chainedLine, type ChainLink } from './audit-chain-form.js';
import { readHead, readTailLink, writeHead, type ChainHead } from './audit-head.js';
import { withAuditLock } from './audit-lock.js';
import { errorCode } from '../errors.js';
import { jsonLine } from './json-line.js';

/** `[server.audit_chain]` as the writer needs it (docs/config.md). */
export interface ChainOptions {
  readonly stateDir: string;
  readonly lockTool: string;
  readonly lockTimeout: number;
}

/**
 * Appends records to a chained log (docs/audit.md): under the lock, finds where the chain
 * stands from the head and the log's own tail, writes the line, then moves the head. When
 * the two disagree, a visible `chain_reset` record goes first instead of a silent restart.
 */
export class ChainWriter {
  /** Why the last append failed, for the caller's trace. */
  lastError: string | null = null;

  private constructor(
    private readonly options: ChainOptions,
    private readonly owner: { uid: number; gid: number },
  ) {}

  /** Checks the state directory (created if missing, private) the head and lock live in. */
  static open(options: ChainOptions): { writer: ChainWriter } | { error: string } {
    const dir = ensurePrivateDir(options.stateDir, '.');
    if ('error' in dir) return dir;
    return { writer: new ChainWriter(options, { uid: dir.uid, gid: dir.gid }) };
  }

  /**
   * Appends `record` to the log that `currentFd` returns under the lock (it reopens a
   * rotated log, so a writer that opened the old file before a rotation continues in the
   * new one). False when nothing was written.
   */
  append(record: Record<string, unknown>, currentFd: () => number | null, user: string): boolean {
    const locked = withAuditLock(
      { path: join(this.options.stateDir, 'audit.lock'), tool: this.options.lockTool, timeout: this.options.lockTimeout, owner: this.owner },
      () => this.appendLocked(record, currentFd, user),
    );
    this.lastError = 'error' in locked ? locked.error : locked.value;
    return this.lastError === null;
  }

  /** null once the line and the head are written, else why not. */
  private appendLocked(record: Record<string, unknown>, currentFd: () => number | null, user: string): string | null {
    const fd = currentFd();
    if (fd === null) return 'the audit log cannot be reopened after a rotation';
    const headPath = join(this.options.stateDir, 'audit.head');
    let file: { ino: number; dev: number };
    let start: ChainStart;
    try {
      file = fstatSync(fd);
      start = startOf(readHead(headPath), readTailLink(fd), { ino: file.ino, dev: file.dev });
    } catch (error) {
      return `the audit log's last line cannot be read: ${errorCode(error)}`;
    }
    let text = '';
    let seq = start.seq;
    let prev = start.prev;
    if (start.reset !== null) {
      const reset = chainedLine({ ts: record.ts, event: 'chain_reset', pid: process.pid, user, ...start.reset }, seq, GENESIS, jsonLine);
      text += reset.line;
      prev = reset.chain;
      seq += 1;
    }
    const line = chainedLine(record, seq, prev, jsonLine);
    text += line.line;
    const bytes = Buffer.from(text, 'utf8');
    try {
      if (writeSync(fd, bytes, 0, bytes.length) !== bytes.length) return 'the chained record was written short';
    } catch (error) {
      return `the chained record cannot be written: ${errorCode(error)}`;
    }
    try {
      writeHead(headPath, { seq, chain: line.chain, ino: file.ino, dev: file.dev }, this.owner);
    } catch (error) {
      // The line stands; the next writer takes a tail one ahead of the head as it is.
      return `the chain head ${headPath} cannot be written: ${errorCode(error)}`;
    }
    return null;
  }
}

export type ChainStart = { seq: number; prev: string; reset: null | { reason: string; head: ChainHead | null; tail: ChainLink | null } };

/** Where the next record links, from the head and the log's tail (docs/audit.md "Rotation and resets"). */
export function startOf(head: ChainHead | null | 'invalid', tail: ChainLink | null | 'empty', file: { ino: number; dev: number }): ChainStart {
  const validHead = head === 'invalid' ? null : head;
  const validTail = tail === 'empty' ? null : tail;
  const next = Math.max(validHead?.seq ?? -1, validTail?.seq ?? -1) + 1;
  const reset = (reason: string): ChainStart => ({ seq: next, prev: GENESIS, reset: { reason, head: validHead, tail: validTail } });
  if (head === 'invalid') return reset('the head file is unreadable');
  if (tail === 'empty') {
    if (head === null) return { seq: 0, prev: GENESIS, reset: null };
    // A new file (another inode) after a rotation continues the chain; the same file emptied does not.
    if (head.ino !== file.ino || head.dev !== file.dev) return { seq: head.seq + 1, prev: head.chain, reset: null };
    return reset('the log was emptied in place');
  }
  if (tail === null) return reset('the last line of the log is not chained');
  if (head === null) return reset('there is no head for a log that has records');
  if (tail.seq === head.seq && tail.chain === head.chain) return { seq: head.seq + 1, prev: head.chain, reset: null };
  // A writer stopped between its line and its head: the line is the truth.
  if (tail.seq === head.seq + 1 && tail.prev === head.chain) return { seq: tail.seq + 1, prev: tail.chain, reset: null };
  return reset(tail.seq < head.seq ? 'the log ends before the head: records were cut from its end' : 'the log\'s last line disagrees with the head');
}
