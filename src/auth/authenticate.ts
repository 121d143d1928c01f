import type { Config } from '../config/index.js';
import { fail, ok, serviceUnavailable, type AuthFailureReason, type Failure, type Result } from '../errors.js';
import { PROOF_SCHEMES, type ProofFields, type SchemeName } from './proof-fields.js';
import { firstLockedOut, recordFailure, type CredentialKind, type LockoutPolicy, type LockoutSubject } from './lockout.js';
import { claimNonce } from './replay-store.js';
import type { Grant, ProofScheme, WellFormed } from './_scheme.js';
import { SIGNER_SCHEME } from './_signer-scheme.js';
import { TOKEN_SCHEME } from './_token-scheme.js';

export type { Grant } from './_scheme.js';

const SCHEMES: Readonly<Record<SchemeName, ProofScheme<WellFormed>>> = { token: TOKEN_SCHEME, signer: SIGNER_SCHEME };

/** Who sends the proof, for lockout (docs/protocol.md §5 step 4). */
export interface Requester {
  /** The canonical client address, or null outside sshd. */
  readonly address: string | null;
  /** The SSH key's fingerprint when sshd exposes it, else the identity (see callerOf). */
  readonly caller: string;
}

/**
 * Verifies proof fields (docs/protocol.md §5, §5.2) in order: well-formed, lockout, the
 * scheme's own check (HMAC or SSH signature), window, replay.
 * Any failure refuses the request; it is never run at a lower level instead.
 */
export function authenticate(config: Config, fields: ProofFields, commandText: string, requester: Requester, nowMs: number): Result<Grant> {
  const scheme = schemeOf(fields);
  const proof = scheme?.wellFormed(fields) ?? null;
  if (scheme === null || proof === null) return authFailed('malformed', `proof fields are malformed: give ${MALFORMED_HINT}`);

  const policy: LockoutPolicy = {
    stateDir: config.server.stateDir,
    maxFailures: config.server.maxAuthFailures,
    lockoutSeconds: config.server.lockoutSeconds,
  };
  const configured = scheme.isConfigured(config, proof.name);
  const subjects = { configured, credential: scheme.credential, name: proof.name, requester };
  const locked = checkLockout(policy, lockoutChecks(subjects), nowMs);
  if (locked !== null) return locked;

  const verdict = verify(config, scheme, proof, commandText, nowMs);
  if (!verdict.ok && verdict.error.code === 'auth_failed') {
    const recorded = recordFailure(policy, countedSubjects(subjects), nowMs);
    if (recorded !== true) return serviceUnavailable(recorded.error);
    // The failure that locks the caller out ends a session right after its answer (docs/protocol.md §12).
    if (checkLockout(policy, lockoutChecks(subjects), nowMs) !== null) return { ok: false, error: { ...verdict.error, lockedOut: true } };
  }
  return verdict;
}

const MALFORMED_HINT = Object.values(PROOF_SCHEMES).map((scheme) => scheme.fields.map((name) => `+${name}`).join(', ')).join('; or ');

/**
 * The one scheme whose fields the request uses: every field it gives belongs to that
 * scheme, and at least one is that scheme's own (not shared like +ts). Fields of two
 * schemes together are malformed (docs/protocol.md §5.2).
 */
function schemeOf(fields: ProofFields): ProofScheme<WellFormed> | null {
  const given = Object.keys(fields);
  const matching = (Object.keys(PROOF_SCHEMES) as SchemeName[]).filter((name) => {
    const own: readonly string[] = PROOF_SCHEMES[name].fields;
    return given.every((field) => own.includes(field));
  });
  const name = matching.length === 1 ? matching[0] : undefined;
  return name === undefined ? null : SCHEMES[name];
}

/** The caller of docs/protocol.md §5 step 4: the key when sshd names it, else the identity. */
export function callerOf(keyFingerprint: string | null, identity: string): string {
  return keyFingerprint !== null ? `key ${keyFingerprint}` : `identity ${identity}`;
}

interface Subjects {
  readonly configured: boolean;
  readonly credential: CredentialKind;
  readonly name: string;
  readonly requester: Requester;
}

/** Where a failure of this proof counts: the address, and the (credential, caller) pair. */
function countedSubjects({ configured, credential, name, requester }: Subjects): LockoutSubject[] {
  const subjects: LockoutSubject[] = [];
  if (requester.address !== null) subjects.push({ kind: 'address', address: requester.address });
  if (configured) subjects.push({ kind: 'credential', credential, name, caller: requester.caller });
  else subjects.push({ kind: 'unknown-credential', caller: requester.caller });
  return subjects;
}

/**
 * The counters that can lock this proof out, the address first: a client that is locked
 * out learns nothing about credential names. The caller's counter of unknown names comes
 * before a configured name's own (ADR 0015): otherwise a caller that exhausted it could
 * tell configured names (checked: `invalid`) from invented ones (`locked_out`).
 */
function lockoutChecks(subjects: Subjects): LockoutSubject[] {
  const counted = countedSubjects(subjects);
  const unknown: LockoutSubject = { kind: 'unknown-credential', caller: subjects.requester.caller };
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

/** Step 1 is the scheme's; steps 2 and 3 (window, replay) are the same for every scheme. */
function verify(config: Config, scheme: ProofScheme<WellFormed>, proof: WellFormed, commandText: string, nowMs: number): Result<Grant> {
  const verified = scheme.verify(config, proof, commandText);
  if (!verified.ok) return verified;
  if (Math.abs(nowMs / 1000 - Number(proof.ts)) > config.server.proofWindow) {
    return authFailed('stale', 'the proof timestamp is outside the allowed window', 'check the client clock');
  }
  // Names are identifiers, so `signer:NAME` never equals a token's name.
  const replayName = scheme.credential === 'token' ? proof.name : `${scheme.credential}:${proof.name}`;
  const claim = claimNonce(config.server.stateDir, replayName, proof.nonce, config.server.proofWindow, nowMs);
  if (claim === 'replayed') return authFailed('replayed', 'this proof was already used', 'sign every request afresh');
  if (typeof claim === 'object') return serviceUnavailable(claim.error);
  return ok(verified.value);
}

function authFailed(reason: AuthFailureReason, message: string, hint?: string): { ok: false; error: Failure } {
  return fail('auth_failed', message, { reason, ...(hint ? { hint } : {}) });
}
