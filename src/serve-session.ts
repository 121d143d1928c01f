import type { Readable } from 'node:stream';
import { nodeCrypto } from './builtins.js';
import { Exchange, type Answer, type ExchangeIO, type Service } from './exchange.js';
import { jsonLine, responseLine, responseLinePieces } from './output/index.js';
import { AbortGrace } from './session/abort-grace.js';
import { ChunkStreamer } from './session/chunks.js';
import { tuneHeapForLongRun } from './session/heap.js';
import { LineReader } from './session/line-reader.js';
import { runSessionLoop, type EndReason, type SessionHandler } from './session/loop.js';

/** Where a session's lines come from and go to. */
export interface SessionChannel {
  readonly input: Readable;
  /** Writes one line, whole or in pieces; settles when it was written whole or the reader is gone. */
  write(line: string | Iterable<string>): Promise<void>;
  flushed(): Promise<void>;
  readonly readerGone: boolean;
}

/**
 * Runs session mode (docs/protocol.md §12) after `session` was allowed: the hello line, then
 * one Exchange per request line on the one opened service, then the end line and the
 * `session_end` record. Returns the exit status: 0 for every end reason.
 */
export async function serveSession(service: Service, starter: Exchange, hello: Answer, io: ExchangeIO, channel: SessionChannel): Promise<number> {
  tuneHeapForLongRun();
  const sessionId = hello.response.request_id;
  const limits = service.config.server.session;
  // A write that a client never reads must not outlast a stop signal or a lost connection,
  // and an answer the client does not take within idle_timeout ends the session: idleness
  // counts from the answer (docs/protocol.md §12).
  const grace = new AbortGrace(io.abort);
  const idleMs = limits.idleTimeout * 1000;
  let stalled = false;
  const send = async (line: string | Iterable<string>, limitMs?: number): Promise<void> => {
    if (stalled) return;
    if (!(await grace.within(channel.write(line), limitMs)) && limitMs !== undefined && !io.abort.aborted) stalled = true;
  };
  await send(responseLine(hello.response), idleMs);
  const reader = new LineReader(channel.input, limits.maxLineBytes);
  const handler: SessionHandler = {
    request: async (line, seq) => {
      const requestId = nodeCrypto().randomUUID();
      const rotated = service.log.reopenIfRotated();
      if (rotated !== null) io.syslog(`service_unavailable: ${rotated.error} (account ${io.user}, config ${service.configPath}, session ${sessionId})`);
      const chunks = line.stream ? new ChunkStreamer((stream, data) => send(jsonLine({ v: 1, id: line.id, event: 'chunk', stream, data }))) : null;
      const place = { id: sessionId, seq, ...(chunks !== null ? { onOutput: (stream: 'stdout' | 'stderr', chunk: Buffer) => chunks.push(stream, chunk) } : {}) };
      const answer = await new Exchange(requestId, service, io, place).run(line.request, { kind: 'bytes', data: line.stdin });
      chunks?.finish();
      // In pieces: an answer's 64 MiB of output is never one string (ADR 0029).
      await send(responseLinePieces({ ...answer.response, id: line.id }), idleMs);
      return { lockedOut: answer.lockedOut };
    },
    protocolError: async (id, message) => {
      const answer = new Exchange(nodeCrypto().randomUUID(), service, io, { id: sessionId, seq: 0 }).refuseLine(message);
      await send(responseLine({ ...answer.response, id }), idleMs);
    },
    drained: async () => {
      if (!stalled && !(await grace.within(channel.flushed(), idleMs)) && !io.abort.aborted) stalled = true;
      return { clientGone: channel.readerGone, stalled };
    },
  };
  let end: { reason: EndReason; requests: number };
  try {
    end = await runSessionLoop(reader, { ...limits, idleTimeoutMs: limits.idleTimeout * 1000 }, handler, io.abort, io.now);
  } finally {
    reader.close();
  }
  const recorded = starter.recordSessionEnd(end.reason, end.requests);
  if (!recorded) io.syslog(`service_unavailable: the session_end record could not be written (account ${io.user}, config ${service.configPath}, session ${sessionId})`);
  await send(jsonLine({ v: 1, request_id: sessionId, ok: true, event: 'end', reason: end.reason, requests: end.requests }), idleMs);
  if (!stalled) await grace.within(channel.flushed(), idleMs);
  return recorded ? 0 : 129;
}
