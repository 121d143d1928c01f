import assert from 'node:assert/strict';
import type { SshResult } from './sshd.js';

/** What an attack row expects: a refusal code, or an action that ran with this stdout. */
export type Expected =
  | { readonly code: string; readonly exit: number; readonly reason?: string; readonly column?: number }
  | { readonly ran: string; readonly exit: number };

/** Asserts one answer against its row: one JSON line, the code or output, the exit status. */
export function assertOutcome(result: SshResult, expected: Expected): void {
  assert.ok(result.json !== null, `not exactly one JSON line: ${JSON.stringify(result.stdout)}`);
  assert.equal(result.status, expected.exit, `exit status; answer ${result.stdout}`);
  if ('code' in expected) {
    assert.equal(result.json.ok, false);
    assert.equal(result.json.error?.code, expected.code, `answer ${result.stdout}`);
    assert.ok(result.stderr.startsWith(`portcullis: ${expected.code}: `), `stderr ${JSON.stringify(result.stderr)}`);
    if (expected.reason !== undefined) assert.equal(result.json.error?.reason, expected.reason);
    if (expected.column !== undefined) assert.equal(result.json.error?.column, expected.column);
  } else {
    assert.equal(result.json.stdout, expected.ran, `answer ${result.stdout}`);
  }
}

export const refused = (code: string, reason?: string): Expected => {
  const exits: Record<string, number> = {
    bad_request: 132,
    bad_argument: 128,
    unknown_domain: 128,
    unknown_action: 128,
    insufficient_level: 131,
    auth_failed: 131,
    locked_out: 131,
    service_unavailable: 129,
    input_too_large: 133,
    exec_failed: 126,
    timeout: 124,
  };
  const exit = exits[code];
  if (exit === undefined) throw new Error(`unknown code ${code}`);
  return reason === undefined ? { code, exit } : { code, exit, reason };
};

export const ran = (stdout: string, exit = 0): Expected => ({ ran: stdout, exit });

/** A grammar refusal at a given column. */
export const badRequestAt = (column: number): Expected => ({ ...refused('bad_request'), column });
