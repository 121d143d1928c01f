import { nodeCrypto } from '../builtins.js';

const PROOF_VERSION = 'portcullis-proof-v1';
const SIGNATURE_VERSION = 'portcullis-sig-v1';

/** The exact bytes a proof signs (docs/protocol.md §5). */
export function proofMessage(serverId: string, token: string, ts: string, nonce: string, commandText: string): string {
  return [PROOF_VERSION, serverId, token, ts, nonce, commandText].join('\n');
}

/** The exact text an SSH signature proof signs (docs/protocol.md §5.2). */
export function signatureMessage(serverId: string, signer: string, ts: string, nonce: string, commandText: string): string {
  return [SIGNATURE_VERSION, serverId, signer, ts, nonce, commandText].join('\n');
}

/**
 * What a proof or signature covers after the nonce: the command text, then LF and the
 * lowercase `+stdin_sha256` hex when the request carries one (docs/protocol.md §5, §7.3).
 */
export function signedCommand(commandText: string, stdinSha256: string | null): string {
  return stdinSha256 === null ? commandText : `${commandText}\n${stdinSha256.toLowerCase()}`;
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
