import { resolveSecret, type Config } from '../config/index.js';
import { fail, ok, serviceUnavailable, type AuthFailureReason, type Failure, type Level, type Result } from '../errors.js';
import { isIdentifier, type ProofFields } from '../request/index.js';
import { firstLockedOut, recordFailure, type LockoutPolicy, type LockoutSubject } from './lockout.js';
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

/** Who sends the proof, for lockout (docs/protocol.md §5 step 4). */
export interface Requester {
  /** The canonical client address, or null outside sshd. */
  readonly address: string | null;
  /** The SSH key's fingerprint when sshd exposes it, else the identity (see callerOf). */
  readonly caller: string;
}

/**
 * Verifies proof fields (docs/protocol.md §5) in order: well-formed, lockout, HMAC, window, replay.
 * Any failure refuses the request; it is never run at a lower level instead.
 */
export function authenticate(config: Config, fields: ProofFields, commandText: string, requester: Requester, nowMs: number): Result<Grant> {
  const proof = wellFormed(fields);
  if (proof === null) return authFailed('malformed', 'proof fields are malformed: give +token, +ts, +nonce and +proof');

  const policy: LockoutPolicy = {
    stateDir: config.server.stateDir,
    maxFailures: config.server.maxAuthFailures,
    lockoutSeconds: config.server.lockoutSeconds,
  };
  const locked = checkLockout(policy, lockoutChecks(config, proof.token, requester), nowMs);
  if (locked !== null) return locked;

  const verdict = verify(config, proof, commandText, nowMs);
  if (!verdict.ok && verdict.error.code === 'auth_failed') {
    const recorded = recordFailure(policy, countedSubjects(config, proof.token, requester), nowMs);
    if (recorded !== true) return serviceUnavailable(recorded.error);
    // The failure that locks the caller out ends a session right after its answer (docs/protocol.md §12).
    if (checkLockout(policy, lockoutChecks(config, proof.token, requester), nowMs) !== null) return { ok: false, error: { ...verdict.error, lockedOut: true } };
  }
  return verdict;
}

/** The caller of docs/protocol.md §5 step 4: the key when sshd names it, else the identity. */
export function callerOf(keyFingerprint: string | null, identity: string): string {
  return keyFingerprint !== null ? `key ${keyFingerprint}` : `identity ${identity}`;
}

/** Where a failure of this proof counts: the address, and the (credential, caller) pair. */
function countedSubjects(config: Config, token: string, requester: Requester): LockoutSubject[] {
  const subjects: LockoutSubject[] = [];
  if (requester.address !== null) subjects.push({ kind: 'address', address: requester.address });
  // SECURITY: Map lookup: the token name comes from the network.
  if (config.tokens.has(token)) subjects.push({ kind: 'credential', credential: 'token', name: token, caller: requester.caller });
  else subjects.push({ kind: 'unknown-credential', caller: requester.caller });
  return subjects;
}

/**
 * The counters that can lock this proof out, the address first: a client that is locked
 * out learns nothing about credential names. The caller's counter of unknown names comes
 * before a configured name's own (ADR 0015): otherwise a caller that exhausted it could
 * tell configured names (checked: `invalid`) from invented ones (`locked_out`).
 */
function lockoutChecks(config: Config, token: string, requester: Requester): LockoutSubject[] {
  const counted = countedSubjects(config, token, requester);
  const unknown: LockoutSubject = { kind: 'unknown-credential', caller: requester.caller };
  const pair = counted.at(-1);
  return pair?.kind === 'credential' ? [...counted.slice(0, -1), unknown, pair] : counted;
}

function checkLockout(policy: LockoutPolicy, subjects: readonly LockoutSubject[], nowMs: number): { ok: false; error: Failure } | null {
  const locked = firstLockedOut(policy, subjects, nowMs);
  if (locked === null) return null;
  if ('error' in locked) return serviceUnavailable(locked.error);
  const seconds = locked.retryAfterSeconds;
  return fail('locked_out', 'too many failed proofs; try again later', {
    retry_after: seconds,
    hint: `retry in ${seconds} s`,
    detail: `locked out: ${describeSubject(locked.subject)}; ${seconds} s left`,
  });
}

/** For the operator, in the audit `detail`: what to pass to `portcullis unlock`. */
function describeSubject(subject: LockoutSubject): string {
  switch (subject.kind) {
    case 'address':
      return `address ${subject.address} (unlock --address)`;
    case 'credential':
      return `${subject.credential} ${subject.name} for caller ${subject.caller} (unlock --${subject.credential})`;
    case 'unknown-credential':
      return `unknown credential names for caller ${subject.caller} (unlock --token with an unconfigured name)`;
  }
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
    // The private reason goes to the audit `detail` only (docs/protocol.md §5 step 4).
    return fail('auth_failed', 'the proof is not valid', { reason: 'invalid', detail: token === undefined ? 'unknown_credential' : 'bad_proof' });
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
