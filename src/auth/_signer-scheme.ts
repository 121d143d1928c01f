import type { Config } from '../config/index.js';
import { fail, ok, type Result } from '../errors.js';
import { isIdentifier } from '../request/index.js';
import type { ProofFields } from './proof-fields.js';
import { signatureMessage } from './proof.js';
import { verifySshsig } from './sshsig.js';
import { NONCE, TIMESTAMP, type Grant, type ProofScheme, type WellFormed } from './_scheme.js';

/** The SSHSIG namespace of a signature proof (docs/protocol.md §5.2). */
export const SIGNATURE_NAMESPACE = 'proof-v1@portcullis';
/** `+sig` at most this many base64 characters: an RSA-4096 signature with its key takes about 1,550. */
export const MAX_SIG_CHARACTERS = 2048;

interface SignatureProof extends WellFormed {
  readonly sig: Buffer;
}

/** SSH signature proofs (docs/protocol.md §5.2): the server holds public keys only. */
export const SIGNER_SCHEME: ProofScheme<SignatureProof> = {
  credential: 'signer',

  wellFormed(fields: ProofFields): SignatureProof | null {
    const { signer, ts, nonce, sig } = fields;
    if (signer === undefined || ts === undefined || nonce === undefined || sig === undefined) return null;
    if (!isIdentifier(signer) || !TIMESTAMP.test(ts) || !NONCE.test(nonce)) return null;
    // Standard base64, canonical (what decodes re-encodes to the same text).
    if (sig.length > MAX_SIG_CHARACTERS || !/^[A-Za-z0-9+/]+={0,2}$/.test(sig)) return null;
    const blob = Buffer.from(sig, 'base64');
    if (blob.toString('base64') !== sig) return null;
    return { name: signer, ts, nonce, sig: blob };
  },

  isConfigured(config: Config, name: string): boolean {
    // SECURITY: Map lookup: the signer name comes from the network.
    return config.signers.has(name);
  },

  verify(config: Config, proof: SignatureProof, signedCommand: string): Result<Grant> {
    // SECURITY: Map lookup: the signer name comes from the network.
    const signer = config.signers.get(proof.name);
    const message = signatureMessage(config.server.id, proof.name, proof.ts, proof.nonce, signedCommand);
    // SECURITY: an unknown signer is verified against the blob's own key, so it costs what a
    // wrong signature costs, and answers the same.
    const why = verifySshsig(proof.sig, Buffer.from(message, 'utf8'), {
      namespace: SIGNATURE_NAMESPACE,
      keyBlob: signer === undefined ? null : Buffer.from(signer.publicKey, 'base64'),
      requireUserVerification: signer?.requireUserVerification ?? false,
    });
    if (why !== null || signer === undefined) {
      // The private reason goes to the audit `detail` only (docs/protocol.md §5 step 4).
      return fail('auth_failed', 'the proof is not valid', { reason: 'invalid', detail: signer === undefined ? 'unknown_credential' : `bad_signature: ${why}` });
    }
    return ok({ credential: 'signer', name: signer.name, level: signer.level, tags: signer.tags, keyFingerprint: signer.fingerprint });
  },
};
