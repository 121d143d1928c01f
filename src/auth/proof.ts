import { nodeCrypto } from '../builtins.js';

const PROOF_VERSION = 'portcullis-proof-v1';

/** The exact bytes a proof signs (CONTRACT §5). */
export function proofMessage(serverId: string, token: string, ts: string, nonce: string, commandText: string): string {
  return [PROOF_VERSION, serverId, token, ts, nonce, commandText].join('\n');
}

/** Lowercase hex HMAC-SHA256 of the message. */
export function computeProof(secret: Buffer, message: string): string {
  return nodeCrypto().createHmac('sha256', secret).update(message, 'utf8').digest('hex');
}

// Used for unknown tokens, so that their answer costs the same as a wrong proof.
let decoySecret: Buffer | undefined;

/** Constant-time comparison of a presented proof with the expected one; length is checked first. */
export function proofMatches(secret: Buffer | null, message: string, presentedHex: string): boolean {
  const expected = Buffer.from(computeProof(secret ?? (decoySecret ??= nodeCrypto().randomBytes(32)), message), 'hex');
  const presented = Buffer.from(presentedHex, 'hex');
  if (presented.length !== expected.length) return false;
  return nodeCrypto().timingSafeEqual(expected, presented) && secret !== null;
}
