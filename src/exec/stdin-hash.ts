import { nodeCrypto } from '../builtins.js';
import type { Failure } from '../errors.js';

/**
 * `+stdin_sha256` (docs/protocol.md §7.3): the bytes read must have exactly this SHA-256, or nothing
 * runs. `expected` is lowercase hex (the grammar checked and lowercased it).
 */
export function checkStdinHash(expected: string, data: Buffer): Failure | null {
  const actual = nodeCrypto().createHash('sha256').update(data).digest('hex');
  if (actual === expected) return null;
  return {
    code: 'bad_request',
    reason: 'stdin_mismatch',
    message: 'stdin does not match +stdin_sha256; nothing ran',
    hint: 'send the whole input again',
    detail: `stdin: ${data.length} bytes with sha256 ${actual}, expected ${expected}`,
  };
}

/** `+stdin_sha256` on a request that reads no stdin: refused rather than ignored (ADR 0017). */
export function stdinHashWithoutStdin(what: string): Failure {
  return {
    code: 'bad_request',
    reason: 'stdin_mismatch',
    message: `${what} reads no stdin, so +stdin_sha256 cannot hold; nothing ran`,
    hint: 'send +stdin_sha256 only to an action whose help shows stdin',
    detail: `+stdin_sha256 given to ${what}, which reads no stdin`,
  };
}
