/**
 * The closed set of error codes a client can receive (docs/protocol.md §7.4), with their exit
 * statuses. Codes are permanent API; messages may change, so tests assert codes.
 */

export type Level = 'read' | 'ops' | 'admin';

const LEVEL_RANK: Readonly<Record<Level, number>> = { read: 0, ops: 1, admin: 2 };

export function levelAtLeast(have: Level, need: Level): boolean {
  return LEVEL_RANK[have] >= LEVEL_RANK[need];
}

export const ERROR_CODES = [
  'timeout',
  'exec_failed',
  'unknown_domain',
  'unknown_action',
  'bad_argument',
  'service_unavailable',
  'insufficient_level',
  'auth_failed',
  'locked_out',
  'bad_request',
  'input_too_large',
  'output_too_large',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export type AuthFailureReason = 'invalid' | 'stale' | 'replayed' | 'malformed';

/** `bad_request` reasons (docs/protocol.md §7.3). */
/** `protocol`: a session line that is no request at all (docs/protocol.md §12). */
export type RequestFailureReason = 'stdin_mismatch' | 'protocol';

/** Audit `decision` value for a refusal with this code (docs/protocol.md §8). */
export type Decision = 'allow' | 'invalid' | 'deny';

interface CodeInfo {
  readonly exit: number;
  readonly decision: Exclude<Decision, 'allow'>;
}

export const ERROR_INFO = {
  timeout: { exit: 124, decision: 'deny' },
  exec_failed: { exit: 126, decision: 'deny' },
  unknown_domain: { exit: 128, decision: 'deny' },
  unknown_action: { exit: 128, decision: 'deny' },
  bad_argument: { exit: 128, decision: 'invalid' },
  service_unavailable: { exit: 129, decision: 'deny' },
  insufficient_level: { exit: 131, decision: 'deny' },
  auth_failed: { exit: 131, decision: 'deny' },
  locked_out: { exit: 131, decision: 'deny' },
  bad_request: { exit: 132, decision: 'invalid' },
  input_too_large: { exit: 133, decision: 'invalid' },
  // An outcome, never a decision: the raw action ran and was stopped at its cap (docs/protocol.md §13).
  output_too_large: { exit: 133, decision: 'deny' },
} as const satisfies Record<ErrorCode, CodeInfo>;

/** Exit status of an action that ran: its own code, or 125 when it cannot be told apart. */
export function executedExitStatus(exitCode: number | null): number {
  return exitCode !== null && exitCode >= 0 && exitCode <= 123 ? exitCode : 125;
}

/**
 * An expected refusal. `message` and `hint` go to the client; `detail` goes only to the
 * audit log (and to the client under --diagnostic), so it may name server-side things.
 */
export interface Failure {
  readonly code: ErrorCode;
  readonly message: string;
  readonly hint?: string;
  readonly column?: number;
  readonly argument?: string;
  readonly required_level?: Level;
  readonly reason?: AuthFailureReason | RequestFailureReason;
  /** Seconds until a `locked_out` caller may try again (docs/protocol.md §5 step 4). */
  readonly retry_after?: number;
  readonly detail?: string;
  /** Internal, never sent: this refusal left the caller locked out (a session ends, docs/protocol.md §12). */
  readonly lockedOut?: boolean;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Failure };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail(code: ErrorCode, message: string, extra: Omit<Failure, 'code' | 'message'> = {}): { ok: false; error: Failure } {
  return { ok: false, error: { code, message, ...extra } };
}

/** The fixed client text for server-side failures: the client must not learn the setup. */
export const SERVICE_UNAVAILABLE_MESSAGE = 'service unavailable';

export function serviceUnavailable(detail: string): { ok: false; error: Failure } {
  return fail('service_unavailable', SERVICE_UNAVAILABLE_MESSAGE, { detail });
}

/** The Node error code (`ENOENT`, `EACCES`, …) of a failed system call, for messages. */
export function errorCode(error: unknown): string {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'error';
}

export function assertNever(value: never): never {
  throw new Error(`unreachable: ${String(value)}`);
}
