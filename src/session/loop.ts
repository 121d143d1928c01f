import type { AbortWatch } from '../exec/abort-watch.js';
import { parseEnvelope, type SessionRequest } from './envelope.js';
import type { LineReader } from './line-reader.js';

/** `[server.session]` in the units the loop counts in. */
export interface SessionLimits {
  readonly maxRequests: number;
  readonly idleTimeoutMs: number;
  readonly maxSeconds: number;
  readonly maxLineBytes: number;
}

export type EndReason = 'eof' | 'idle_timeout' | 'max_requests' | 'max_seconds' | 'locked_out' | 'protocol_errors' | 'aborted';

/** What the loop asks of the serve path: one request, one protocol fault, the end. */
export interface SessionHandler {
  /** Serves one well-formed line and writes its answer; true when the caller is now locked out. */
  request(line: SessionRequest, seq: number): Promise<{ lockedOut: boolean }>;
  /** Answers (and audits) a line that is no request at all. */
  protocolError(id: string | null, message: string): Promise<void>;
  /**
   * Settles once the answers written so far have reached the client, or it is gone, or it
   * left one untaken for idle_timeout (`stalled`).
   */
  drained(): Promise<{ clientGone: boolean; stalled: boolean }>;
}

/** Three faults of the line itself in a row end a session (docs/protocol.md §12). */
const MAX_PROTOCOL_ERRORS = 3;

/**
 * Reads lines and serves them one at a time until an end reason (docs/protocol.md §12).
 * The loop never reads the next line before the last answer was written: a client that
 * stops reading stops its session.
 */
export async function runSessionLoop(
  reader: LineReader,
  limits: SessionLimits,
  handler: SessionHandler,
  abort: AbortWatch,
  now: () => number,
): Promise<{ reason: EndReason; requests: number }> {
  const deadline = now() + limits.maxSeconds * 1000;
  let requests = 0;
  let faults = 0;
  for (;;) {
    const drained = await handler.drained();
    if (drained.clientGone || abort.aborted) return { reason: 'aborted', requests };
    if (drained.stalled) return { reason: deadline - now() <= 0 ? 'max_seconds' : 'idle_timeout', requests };
    if (requests >= limits.maxRequests) return { reason: 'max_requests', requests };
    const left = deadline - now();
    if (left <= 0) return { reason: 'max_seconds', requests };
    const event = await reader.next(Math.min(limits.idleTimeoutMs, left), abort);
    switch (event.kind) {
      case 'eof':
        return { reason: 'eof', requests };
      case 'aborted':
        return { reason: 'aborted', requests };
      case 'idle':
        if (deadline - now() <= 0) return { reason: 'max_seconds', requests };
        return { reason: 'idle_timeout', requests };
      case 'too-long':
      case 'unterminated':
        await handler.protocolError(null, event.kind === 'too-long' ? `the line is longer than ${limits.maxLineBytes} bytes` : 'the input ended inside a line (no LF)');
        faults += 1;
        break;
      case 'line': {
        const parsed = parseEnvelope(event.line);
        if (!parsed.ok) {
          await handler.protocolError(parsed.id, parsed.message);
          faults += 1;
          break;
        }
        faults = 0;
        requests += 1;
        const served = await handler.request(parsed.value, requests);
        if (served.lockedOut) return { reason: 'locked_out', requests };
        break;
      }
    }
    if (faults >= MAX_PROTOCOL_ERRORS) return { reason: 'protocol_errors', requests };
  }
}
