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

/** The fields each code adds to a refusal, on the wire and inside (docs/protocol.md §7.2). */
export interface CodeFields {
  timeout: object;
  exec_failed: object;
  unknown_domain: object;
  unknown_action: object;
  bad_argument: { readonly argument?: string };
  service_unavailable: object;
  insufficient_level: { readonly required_level: Level };
  auth_failed: { readonly reason: AuthFailureReason };
  /** Seconds until a `locked_out` caller may try again (docs/protocol.md §5 step 4). */
  locked_out: { readonly retry_after: number };
  bad_request: { readonly reason?: RequestFailureReason; readonly column?: number };
  input_too_large: { readonly column?: number };
  output_too_large: object;
}

interface FailureCommon {
  readonly message: string;
  readonly hint?: string;
  readonly detail?: string;
  /** Internal, never sent: this refusal left the caller locked out (a session ends, docs/protocol.md §12). */
  readonly lockedOut?: boolean;
}

/** A refusal with this code: its `code` tells which of the code's own fields it carries. */
export type FailureOf<C extends ErrorCode> = { readonly code: C } & FailureCommon & CodeFields[C];

/**
 * An expected refusal. `message` and `hint` go to the client; `detail` goes only to the
 * audit log (and to the client under --diagnostic), so it may name server-side things.
 */
export type Failure = { [C in ErrorCode]: FailureOf<C> }[ErrorCode];

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Failure };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

type Extra<C extends ErrorCode> = Omit<FailureCommon, 'message'> & CodeFields[C];

/** A refusal result; a code's required fields (an `auth_failed` reason, …) cannot be left out. */
export function fail<C extends ErrorCode>(code: C, message: string, ...extra: {} extends Extra<C> ? [Extra<C>?] : [Extra<C>]): { ok: false; error: Failure } {
  return { ok: false, error: { code, message, ...extra[0] } as FailureOf<C> as Failure };
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
