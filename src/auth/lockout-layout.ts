import { join } from 'node:path';
import { nodeCrypto } from '../builtins.js';

/** The kinds of credential a proof names: tokens (docs/protocol.md §5), signers (§5.2). */
export type CredentialKind = 'token' | 'signer';

/** A counter of failed proofs (docs/protocol.md §5 step 4). */
export type LockoutSubject =
  /** A configured credential, counted per caller: one caller never locks it for another. */
  | { readonly kind: 'credential'; readonly credential: CredentialKind; readonly name: string; readonly caller: string }
  /** Every name that is not configured, of any kind, shares one counter per caller. */
  | { readonly kind: 'unknown-credential'; readonly caller: string }
  | { readonly kind: 'address'; readonly address: string };

/** What `portcullis unlock` clears: a credential for every caller, the unknown names, an address. */
export type UnlockTarget =
  | { readonly kind: 'credential'; readonly credential: CredentialKind; readonly name: string }
  | { readonly kind: 'unknown-credential' }
  | { readonly kind: 'address'; readonly address: string };

/**
 * Counters live at `state_dir/failures/GROUP/MEMBER/`, one file per failure. GROUP is
 * `token-HASH` or `signer-HASH` per configured credential (MEMBER: the caller),
 * `unknown` (MEMBER: the caller) or `address` (MEMBER: the address). Names from the
 * network become hashes, never path components, and a credential's callers sit in one
 * directory so that unlocking it is one rename.
 */
export const FAILURES_DIR = 'failures';

export function counterDir(root: string, subject: LockoutSubject): string {
  switch (subject.kind) {
    case 'credential':
      return join(root, credentialGroup(subject.credential, subject.name), digest('caller', subject.caller));
    case 'unknown-credential':
      return join(root, 'unknown', digest('caller', subject.caller));
    case 'address':
      return join(root, 'address', digest('address', subject.address));
  }
}

/** The directory `unlock` removes for a target, relative to the failures root. */
export function unlockPath(target: UnlockTarget): string {
  switch (target.kind) {
    case 'credential':
      return credentialGroup(target.credential, target.name);
    case 'unknown-credential':
      return 'unknown';
    case 'address':
      return join('address', digest('address', target.address));
  }
}

function credentialGroup(kind: CredentialKind, name: string): string {
  return `${kind}-${digest(kind, name)}`;
}

function digest(kind: string, value: string): string {
  return nodeCrypto().createHash('sha256').update(`${kind}\n${value}`).digest('hex').slice(0, 40);
}
