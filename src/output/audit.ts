import { closeSync, fstatSync, lstatSync, writeSync } from 'node:fs';
import { type Decision, type ErrorCode, type Level } from '../errors.js';
import { openAuditFile } from './audit-file.js';
import { ChainWriter, type ChainOptions } from './audit-chain.js';
import { jsonLine } from './json-line.js';
import { isoTimestamp } from './timestamp.js';

/** Who asked for what: the fields shared by a request's decision and outcome records (docs/protocol.md §8). */
export interface AuditSubject {
  request_id: string;
  pid: number;
  user: string;
  identity: string;
  key_level: Level;
  token: string | null;
  /** A signature proof's signer (docs/protocol.md §5.2) and its key's `SHA256:` fingerprint (null when not configured). */
  signer?: string;
  signer_key?: string | null;
  level: Level;
  tags: readonly string[];
  client: string | null;
  key: string | null;
  /** Only in certificate mode: the key id of the user certificate that authenticated. */
  key_id?: string;
  request: string;
  domain: string | null;
  action: string | null;
  args: Record<string, string>;
  /** Inside a session (docs/protocol.md §12): which session, and the request's place in it. */
  session_id?: string;
  session_seq?: number;
}

export interface DecisionFields {
  decision: Decision;
  error: ErrorCode | null;
  /** Why a proof was refused (invalid, stale, replayed, malformed). */
  reason?: string;
  /** Server-side detail of a refusal: never shown to the client without --diagnostic. */
  detail?: string;
}

export interface OutcomeFields {
  error: 'timeout' | 'exec_failed' | 'aborted' | 'output_too_large' | null;
  exit_code: number | null;
  signal: string | null;
  duration_ms: number;
  stdout_bytes: number;
  stderr_bytes: number;
  stdin_bytes: number;
  stdout_sha256: string;
  stderr_sha256: string;
  detail?: string;
}

/** The last record of a session (docs/protocol.md §12). */
export interface SessionEndFields {
  reason: string;
  requests: number;
}

const MAX_LOGGED_TEXT = 4096;

/** Caps an untrusted string before it is logged. */
export function capForLog(text: string, max = MAX_LOGGED_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max)}…[${text.length - max} more]`;
}

/**
 * The append-only JSONL audit log. Opened per request with O_APPEND, so a renamed
 * (rotated) log is replaced by a new file on the next call, and each record is a single
 * write, so concurrent invocations never interleave. With a chain (docs/audit.md), each
 * record is also linked to the one before it, under a lock shared by every writer.
 */
export class AuditLog {
  /** Why the last write failed, when the chain knows (for the server-side trace). */
  lastError: string | null = null;

  private constructor(
    private readonly path: string,
    private fd: number,
    private readonly chain: ChainWriter | null,
    private readonly user: string,
  ) {}

  /** docs/protocol.md §8's open-and-check rule; the caller traces a refusal to syslog. */
  static open(path: string, chain?: ChainOptions | null, user = ''): { log: AuditLog } | { error: string } {
    let writer: ChainWriter | null = null;
    if (chain !== undefined && chain !== null) {
      const opened = ChainWriter.open(chain);
      if ('error' in opened) return { error: `audit chain: ${opened.error}` };
      writer = opened.writer;
    }
    // The chain reads the log's tail through the same descriptor it appends to.
    const opened = openAuditFile(path, writer !== null);
    return 'error' in opened ? opened : { log: new AuditLog(path, opened.fd, writer, user) };
  }

  /**
   * For a long-lived writer (a session): when the log was rotated away, opens the new file
   * by the same checks. On failure every later write fails, so nothing runs unrecorded.
   */
  reopenIfRotated(): { error: string } | null {
    if (this.fd >= 0 && sameFile(this.fd, this.path)) return null;
    this.close();
    const opened = openAuditFile(this.path, this.chain !== null);
    if ('error' in opened) return opened;
    this.fd = opened.fd;
    return null;
  }

  /** Appends one record; false when it could not be written whole. */
  write(event: 'decision' | 'outcome' | 'session_end', subject: AuditSubject, fields: DecisionFields | OutcomeFields | SessionEndFields): boolean {
    if (this.fd < 0) return false;
    const record = { ts: isoTimestamp(Date.now()), event, ...subject, ...fields };
    if (this.chain !== null) {
      const written = this.chain.append(record, () => (this.reopenIfRotated() === null ? this.fd : null), this.user);
      this.lastError = this.chain.lastError;
      return written;
    }
    const line = jsonLine(record);
    const bytes = Buffer.from(line, 'utf8');
    try {
      return writeSync(this.fd, bytes, 0, bytes.length) === bytes.length;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.fd < 0) return;
    try {
      closeSync(this.fd);
    } catch {
      // Closing can only fail for a bad fd; nothing is lost that was not already reported.
    }
    this.fd = -1;
  }
}

/** Whether the open descriptor is still the file at `path` (not renamed away by a rotation). */
function sameFile(fd: number, path: string): boolean {
  try {
    const open = fstatSync(fd);
    const named = lstatSync(path);
    return open.ino === named.ino && open.dev === named.dev;
  } catch {
    return false;
  }
}
