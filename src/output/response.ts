import { isUtf8 } from 'node:buffer';
import type { CodeFields, ErrorCode, Failure } from '../errors.js';
import { EncodedText, jsonLinePieces } from './encoded-text.js';
import { jsonLine } from './json-line.js';
import type { CapturedStream, ExecResult } from '../exec/index.js';

/** Fields every response carries (docs/protocol.md §7.2). */
interface Envelope {
  v: 1;
  request_id: string;
}

/** `error` of a refusal: the code and what a client can act on; `detail` only under --diagnostic. */
export type WireError = { [C in ErrorCode]: { code: C; message: string; hint?: string; detail?: string } & CodeFields[C] }[ErrorCode];

/** A request that did not run. */
export interface RefusalResponse extends Envelope {
  ok: false;
  domain?: string;
  action?: string;
  error: WireError;
}

/** An action that ran; a timeout is one too, with `error.code = "timeout"`. */
export interface ExecutedResponse extends Envelope {
  ok: boolean;
  domain: string;
  action: string;
  exit_code: number | null;
  signal: string | null;
  duration_ms: number;
  /** null for a raw action: its stdout went to the client as it came (docs/protocol.md §13). */
  stdout: string | null;
  stderr: string;
  stdout_encoding: 'utf-8' | 'base64' | 'raw';
  stderr_encoding: 'utf-8' | 'base64';
  stdout_bytes: number;
  stderr_bytes: number;
  /** Raw only: SHA-256 of exactly the bytes written to stdout. */
  stdout_sha256?: string;
  stdout_truncated: boolean;
  stderr_truncated: boolean;
  error?: { code: 'timeout' | 'output_too_large'; message: string };
}

/** A built-in's answer (help, list, whoami, session): its own fields. */
export interface BuiltinResponse extends Envelope {
  ok: true;
  [field: string]: unknown;
}

/** The wire answer (docs/protocol.md §7.2). */
export type Response = RefusalResponse | ExecutedResponse | BuiltinResponse;

/**
 * An executed answer as the server holds it until it is written: the output fields are
 * still the captured bytes, encoded on the way out (ADR 0029). Serialised, it is an
 * ExecutedResponse.
 */
export type ServedExecutedResponse = Omit<ExecutedResponse, 'stdout' | 'stderr'> & { stdout: EncodedText | null; stderr: EncodedText };

/** An answer as the server holds it (see ServedExecutedResponse). */
export type ServedResponse = RefusalResponse | ServedExecutedResponse | BuiltinResponse;

/** A session's answer: the request's own plus the line's `id` (docs/protocol.md §12). */
export type SessionResponse = Response & { id: string | null };

/** A session's answer as the server holds it until it is written (see ServedExecutedResponse). */
export type ServedSessionResponse = ServedResponse & { id: string | null };

/** A request that did not run. Server-side detail reaches the client only under --diagnostic. */
export function errorResponse(requestId: string, failure: Failure, where: { domain?: string | null; action?: string | null }, diagnostic: boolean): RefusalResponse {
  const { lockedOut: _internal, detail, ...fields } = failure;
  const error: WireError = diagnostic && detail !== undefined && !auditOnlyDetail(failure) ? { ...fields, detail } : fields;
  return { v: 1, request_id: requestId, ok: false, ...(where.domain ? { domain: where.domain } : {}), ...(where.action ? { action: where.action } : {}), error };
}

/**
 * The detail of a proof refusal stays in the audit log even under --diagnostic: it tells a
 * configured credential from an invented one, and names callers (docs/protocol.md §5 step 4).
 */
function auditOnlyDetail(failure: Failure): boolean {
  return failure.code === 'auth_failed' || failure.code === 'locked_out';
}

/** The refusal an action that ran out of time carries, in its answer and on stderr. */
export const TIMEOUT_FAILURE = { code: 'timeout', message: 'the action did not finish within its timeout' } as const satisfies Failure;

/** The refusal a raw action stopped at its cap carries (docs/protocol.md §13). */
export const OVER_CAP_FAILURE = { code: 'output_too_large', message: 'the raw output went past raw_max_bytes; the action was stopped' } as const satisfies Failure;

/**
 * A raw action's answer (docs/protocol.md §13): `stdout` is null, and `stdout_bytes` and
 * `stdout_sha256` describe exactly what the client received on stdout.
 */
export function rawExecutedResponse(requestId: string, domain: string, action: string, result: ExecResult): ServedExecutedResponse {
  const response = executedResponse(requestId, domain, action, result);
  response.stdout = null;
  response.stdout_encoding = 'raw';
  response.stdout_sha256 = result.stdout.sha256;
  return response;
}

/** An action that ran; a timeout is one too, with `error.code = "timeout"`. */
export function executedResponse(requestId: string, domain: string, action: string, result: ExecResult): ServedExecutedResponse {
  const stdout = chooseEncoding(result.stdout);
  const stderr = chooseEncoding(result.stderr);
  const response: ServedExecutedResponse = {
    v: 1,
    request_id: requestId,
    ok: result.outcome === 'exited' && result.exitCode === 0,
    domain,
    action,
    exit_code: result.exitCode,
    signal: result.signal,
    duration_ms: result.durationMs,
    stdout,
    stderr,
    stdout_encoding: stdout.encoding,
    stderr_encoding: stderr.encoding,
    stdout_bytes: result.stdout.totalBytes,
    stderr_bytes: result.stderr.totalBytes,
    stdout_truncated: result.stdout.truncated,
    stderr_truncated: result.stderr.truncated,
  };
  if (result.outcome === 'timeout') response.error = { code: TIMEOUT_FAILURE.code, message: TIMEOUT_FAILURE.message };
  if (result.outcome === 'output_too_large') response.error = { code: OVER_CAP_FAILURE.code, message: OVER_CAP_FAILURE.message };
  return response;
}

export function successResponse(requestId: string, fields: Record<string, unknown>): BuiltinResponse {
  return { v: 1, request_id: requestId, ok: true, ...fields };
}

/**
 * Lossless output (docs/protocol.md §7.1): valid UTF-8 as text, anything else as base64. A cut at
 * the cap that splits a character is trimmed back to the last whole one first. Text that
 * JSON would escape into more characters than base64 takes is sent as base64 too (ADR
 * 0010), so an answer never grows past 4/3 of the cap: 64 MiB of control bytes would
 * otherwise become 384 MiB of JSON and overflow V8's string limit.
 */
export function encodeOutput(stream: CapturedStream): { text: string; encoding: 'utf-8' | 'base64' } {
  const chosen = chooseEncoding(stream);
  return { text: chosen.toJSON(), encoding: chosen.encoding };
}

/** encodeOutput's choice, with the encoding itself left for when the answer is written. */
function chooseEncoding(stream: CapturedStream): EncodedText {
  const bytes = stream.truncated ? trimPartialCharacter(stream.kept) : stream.kept;
  // isUtf8, not TextDecoder: TextDecoder drops a leading byte-order mark, and building
  // one costs every call a module load (ADR 0012).
  if (jsonEscapedLength(bytes) <= base64Length(stream.kept.length) && isUtf8(bytes)) return new EncodedText(bytes, 'utf-8');
  return new EncodedText(stream.kept, 'base64');
}

function base64Length(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}

/** An upper bound of the JSON string length of these bytes as text (UTF-8 never expands). */
function jsonEscapedLength(bytes: Buffer): number {
  let length = bytes.length;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (byte === 0x22 || byte === 0x5c || byte === 0x0a || byte === 0x09 || byte === 0x0d || byte === 0x08 || byte === 0x0c) length += 1;
    else if (byte < 0x20) length += 5;
    // U+2028/U+2029 (E2 80 A8/A9): 3 bytes become the 6 characters \u2028 (json-line.ts).
    else if (byte === 0xe2 && bytes[i + 1] === 0x80 && ((bytes[i + 2] as number) & 0xfe) === 0xa8) length += 3;
  }
  return length;
}

function trimPartialCharacter(bytes: Buffer): Buffer {
  // Look back at most 3 bytes for the lead byte of an incomplete sequence.
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    // INVARIANT: back <= bytes.length.
    const byte = bytes[bytes.length - back] as number;
    if ((byte & 0xc0) !== 0x80) {
      const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
      return needed > back ? bytes.subarray(0, bytes.length - back) : bytes;
    }
  }
  return bytes;
}

/** Serialises a response as exactly one line. */
export function responseLine(response: Response | ServedResponse | SessionResponse): string {
  return jsonLine(response);
}

/** responseLine in pieces, for an answer whose output may be large (ADR 0029). */
export function responseLinePieces(response: ServedResponse | ServedSessionResponse): Generator<string> {
  return jsonLinePieces(response);
}

/** The human line for stderr: `portcullis: CODE: message`, with control characters escaped. */
export function stderrLine(failure: Failure, diagnostic: boolean): string {
  const detail = diagnostic && failure.detail && !auditOnlyDetail(failure) ? ` (${failure.detail})` : '';
  return `portcullis: ${failure.code}: ${escapeControls(failure.message + detail)}\n`;
}

export function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
