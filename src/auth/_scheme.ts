import type { Config } from '../config/index.js';
import type { Level, Result } from '../errors.js';
import type { ProofFields } from './proof-fields.js';
import type { CredentialKind } from './lockout-layout.js';

/** What a verified proof grants for this one request. */
export interface Grant {
  readonly credential: CredentialKind;
  /** The token's or the signer's name. */
  readonly name: string;
  readonly level: Level;
  readonly tags: readonly string[];
  /** A signer's key, as its `SHA256:` fingerprint (the audit's `signer_key`); null for a token. */
  readonly keyFingerprint: string | null;
}

/** The fields every scheme shares: who signed, when, and the nonce of the replay store. */
export interface WellFormed {
  readonly name: string;
  readonly ts: string;
  readonly nonce: string;
}

/**
 * One way of proving a request (docs/protocol.md §5, §5.2). A scheme owns its fields'
 * forms and the check of the proof itself (step 1); the window, the replay store, the
 * lockout and the raise are the same for every scheme (authenticate.ts).
 */
export interface ProofScheme<P extends WellFormed> {
  readonly credential: CredentialKind;
  /** The fields in the scheme's own forms, or null (`malformed`). */
  wellFormed(fields: ProofFields): P | null;
  isConfigured(config: Config, name: string): boolean;
  /**
   * Step 1: the credential is configured and the proof is right. Refusals are `invalid`,
   * with the private reason in `detail`; an unknown name costs what a wrong proof costs.
   */
  verify(config: Config, proof: P, signedCommand: string): Result<Grant>;
}

export const TIMESTAMP = /^(0|[1-9][0-9]{0,11})$/;
export const NONCE = /^[0-9a-fA-F]{16,64}$/;
