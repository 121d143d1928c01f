import { resolveSecret, type Config } from '../config/index.js';
import { fail, ok, serviceUnavailable, type AuthFailureReason, type Failure, type Level, type Result } from '../errors.js';
import { isIdentifier, type ProofFields } from '../request/index.js';
import { isLockedOut, recordFailure, type LockoutPolicy, type LockoutSubject } from './lockout.js';
import { proofMatches, proofMessage } from './proof.js';
import { claimNonce } from './replay-store.js';

/** What a verified proof grants for this one request. */
export interface Grant {
  readonly token: string;
  readonly level: Level;
  readonly tags: readonly string[];
}

interface WellFormedProof {
  readonly token: string;
  readonly ts: string;
  readonly nonce: string;
  readonly proof: string;
}

/**
 * Verifies proof fields (CONTRACT §5) in order: well-formed, lockout, HMAC, window, replay.
 * Any failure refuses the request; it is never run at a lower level instead.
 */
export function authenticate(
  config: Config,
  fields: ProofFields,
  commandText: string,
  clientAddress: string | null,
  nowMs: number,
): Result<Grant> {
  const proof = wellFormed(fields);
  if (proof === null) return authFailed('malformed', 'proof fields are malformed: give +token, +ts, +nonce and +proof');

  const policy: LockoutPolicy = {
    stateDir: config.server.stateDir,
    maxFailures: config.server.maxAuthFailures,
    lockoutSeconds: config.server.lockoutSeconds,
  };
  // The address first: a client that is locked out learns nothing about token names.
  const subjects: LockoutSubject[] = [];
  if (clientAddress !== null) subjects.push({ kind: 'address', value: clientAddress });
  subjects.push({ kind: 'token', value: proof.token });
  for (const subject of subjects) {
    const locked = isLockedOut(policy, subject, nowMs);
    if (typeof locked === 'object') return serviceUnavailable(locked.error);
    if (locked) return fail('locked_out', 'too many failed proofs; try again later', { detail: `locked out: ${subject.kind}` });
  }

  const verdict = verify(config, proof, commandText, nowMs);
  if (verdict.ok) return verdict;
  if (verdict.error.code === 'auth_failed') {
    for (const subject of subjects) {
      const recorded = recordFailure(policy, subject, nowMs);
      if (recorded !== true) return serviceUnavailable(recorded.error);
    }
  }
  return verdict;
}

function verify(config: Config, proof: WellFormedProof, commandText: string, nowMs: number): Result<Grant> {
  // SECURITY: Map lookup: the token name comes from the network.
  const token = config.tokens.get(proof.token);
  let secret: Buffer | null = null;
  if (token !== undefined) {
    const resolved = resolveSecret(token.secretSpec);
    if ('error' in resolved) return serviceUnavailable(`tokens.${token.name}.secret: ${resolved.error}`);
    secret = resolved.secret;
  }
  const message = proofMessage(config.server.id, proof.token, proof.ts, proof.nonce, commandText);
  // SECURITY: unknown token and wrong proof give the same answer, at the same cost.
  if (!proofMatches(secret, message, proof.proof) || token === undefined) {
    return authFailed('invalid', 'the proof is not valid');
  }
  if (Math.abs(nowMs / 1000 - Number(proof.ts)) > config.server.proofWindow) {
    return authFailed('stale', 'the proof timestamp is outside the allowed window', 'check the client clock');
  }
  const claim = claimNonce(config.server.stateDir, proof.token, proof.nonce, config.server.proofWindow, nowMs);
  if (claim === 'replayed') return authFailed('replayed', 'this proof was already used', 'sign every request afresh');
  if (typeof claim === 'object') return serviceUnavailable(claim.error);
  return ok({ token: token.name, level: token.level, tags: token.tags });
}

function wellFormed(fields: ProofFields): WellFormedProof | null {
  const { token, ts, nonce, proof } = fields;
  if (token === undefined || ts === undefined || nonce === undefined || proof === undefined) return null;
  if (!isIdentifier(token)) return null;
  if (!/^(0|[1-9][0-9]{0,11})$/.test(ts)) return null;
  if (!/^[0-9a-fA-F]{16,64}$/.test(nonce)) return null;
  if (!/^[0-9a-fA-F]{64}$/.test(proof)) return null;
  return { token, ts, nonce, proof };
}

function authFailed(reason: AuthFailureReason, message: string, hint?: string): { ok: false; error: Failure } {
  return fail('auth_failed', message, { reason, ...(hint ? { hint } : {}) });
}
