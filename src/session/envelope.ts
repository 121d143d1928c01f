/**
 * One line of a session (docs/protocol.md §12): `{"id"?, "request", "stdin"?,
 * "stdin_encoding"?, "stream"?}`. Hand-written like the request grammar: every fault of
 * the line itself is a protocol error, named, with the `id` echoed when it could be read.
 */
export interface SessionRequest {
  readonly id: string | null;
  readonly request: string;
  /** The bytes for an action that declares stdin; null when the line carries none. */
  readonly stdin: Buffer | null;
  readonly stream: boolean;
}

export type EnvelopeResult =
  | { readonly ok: true; readonly value: SessionRequest }
  | { readonly ok: false; readonly id: string | null; readonly message: string };

const MEMBERS = new Set(['id', 'request', 'stdin', 'stdin_encoding', 'stream']);
const ID = /^[A-Za-z0-9._:-]{1,64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Parses one line, without its LF. */
export function parseEnvelope(line: Buffer): EnvelopeResult {
  if (line.length === 0) return fault(null, 'empty line');
  if (line[line.length - 1] === 0x0d) return fault(null, 'CR before LF: lines end in LF alone');
  let text: string;
  try {
    text = UTF8.decode(line);
  } catch {
    return fault(null, 'the line is not UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fault(null, 'the line is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fault(null, 'the line is not a JSON object');
  const fields = value as Record<string, unknown>;
  const rawId = Object.hasOwn(fields, 'id') ? fields.id : undefined;
  const id = typeof rawId === 'string' && ID.test(rawId) ? rawId : null;
  if (rawId !== undefined && id === null) return fault(null, 'id must be 1 to 64 characters of A-Z a-z 0-9 . _ : -');
  for (const key of Object.keys(fields)) {
    if (!MEMBERS.has(key)) return fault(id, `unknown member ${JSON.stringify(key.slice(0, 64))}`);
  }
  const { request, stdin, stdin_encoding: encoding, stream } = fields;
  if (typeof request !== 'string') return fault(id, 'request must be a string');
  if (stream !== undefined && typeof stream !== 'boolean') return fault(id, 'stream must be true or false');
  if (encoding !== undefined && encoding !== 'utf-8' && encoding !== 'base64') return fault(id, 'stdin_encoding must be "utf-8" or "base64"');
  if (stdin === undefined) {
    if (encoding !== undefined) return fault(id, 'stdin_encoding without stdin');
    return { ok: true, value: { id, request, stdin: null, stream: stream === true } };
  }
  if (typeof stdin !== 'string') return fault(id, 'stdin must be a string');
  if (encoding === 'base64' && !BASE64.test(stdin)) return fault(id, 'stdin is not canonical base64');
  const bytes = Buffer.from(stdin, encoding === 'base64' ? 'base64' : 'utf8');
  return { ok: true, value: { id, request, stdin: bytes, stream: stream === true } };
}

function fault(id: string | null, message: string): EnvelopeResult {
  return { ok: false, id, message };
}
