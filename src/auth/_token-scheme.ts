import { resolveSecret, type Config } from '../config/index.js';
import { fail, ok, serviceUnavailable, type Result } from '../errors.js';
import { isIdentifier } from '../request/index.js';
import type { ProofFields } from './proof-fields.js';
import { proofMatches, proofMessage } from './proof.js';
import { NONCE, TIMESTAMP, type Grant, type ProofScheme, type WellFormed } from './_scheme.js';

interface TokenProof extends WellFormed {
  readonly proof: string;
}

/** HMAC-SHA256 token proofs (docs/protocol.md §5): the server holds the shared secret. */
export const TOKEN_SCHEME: ProofScheme<TokenProof> = {
  credential: 'token',

  wellFormed(fields: ProofFields): TokenProof | null {
    const { token, ts, nonce, proof } = fields;
    if (token === undefined || ts === undefined || nonce === undefined || proof === undefined) return null;
    if (!isIdentifier(token) || !TIMESTAMP.test(ts) || !NONCE.test(nonce)) return null;
    if (!/^[0-9a-fA-F]{64}$/.test(proof)) return null;
    return { name: token, ts, nonce, proof };
  },

  isConfigured(config: Config, name: string): boolean {
    // SECURITY: Map lookup: the token name comes from the network.
    return config.tokens.has(name);
  },

  verify(config: Config, proof: TokenProof, signedCommand: string): Result<Grant> {
    // SECURITY: Map lookup: the token name comes from the network.
    const token = config.tokens.get(proof.name);
    let secret: Buffer | null = null;
    if (token !== undefined) {
      const resolved = resolveSecret(token.secretSpec);
      if ('error' in resolved) return serviceUnavailable(`tokens.${token.name}.secret: ${resolved.error}`);
      secret = resolved.secret;
    }
    const message = proofMessage(config.server.id, proof.name, proof.ts, proof.nonce, signedCommand);
    // SECURITY: unknown token and wrong proof give the same answer, at the same cost.
    if (!proofMatches(secret, message, proof.proof) || token === undefined) {
      // The private reason goes to the audit `detail` only (docs/protocol.md §5 step 4).
      return fail('auth_failed', 'the proof is not valid', { reason: 'invalid', detail: token === undefined ? 'unknown_credential' : 'bad_proof' });
    }
    return ok({ credential: 'token', name: token.name, level: token.level, tags: token.tags, keyFingerprint: null });
  },
};
