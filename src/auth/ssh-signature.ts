import { nodeCrypto } from '../builtins.js';
import { readWire, wireDefect, type WireReader } from './_ssh-wire.js';
import type { EcCurve, SshPublicKey } from './ssh-key.js';

/** FIDO flags in a security key's signature (OpenSSH PROTOCOL.u2f, ssh-sk.h). */
export const SK_USER_PRESENT = 0x01;
export const SK_USER_VERIFIED = 0x04;

export interface SignaturePolicy {
  /** Security keys: the user-verification flag is required too (a PIN or a biometric). */
  readonly requireUserVerification: boolean;
}

/**
 * Verifies an SSH signature blob by `key` over `data` (RFC 8709, RFC 5656, RFC 8332, OpenSSH
 * PROTOCOL.u2f). The signature type must be the key's own (`ssh-rsa`, that is SHA-1, is
 * refused for RSA keys), nothing may trail, and a security key's signature must carry the
 * user-presence flag. Returns null when valid, else the one reason.
 */
export function verifySignature(key: SshPublicKey, data: Buffer, signature: Buffer, policy: SignaturePolicy): string | null {
  const checked = readWire(signature, (reader) => check(reader, key, data, policy));
  if (typeof checked === 'object') return `signature: ${checked.error}`;
  return checked ? null : 'signature: does not verify';
}

function check(reader: WireReader, key: SshPublicKey, data: Buffer, policy: SignaturePolicy): boolean {
  const crypto = nodeCrypto();
  switch (key.type) {
    case 'ssh-ed25519': {
      reader.oneOf([key.type], 'the signature type');
      const raw = ed25519Signature(reader);
      reader.end('the signature');
      return crypto.verify(null, data, key.key, raw);
    }
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521': {
      reader.oneOf([key.type], 'the signature type');
      // INVARIANT: an ECDSA key is parsed with its curve.
      const curve = key.curve as EcCurve;
      const raw = ecdsaSignature(reader, curve);
      reader.end('the signature');
      return crypto.verify(curve.hash, data, { key: key.key, dsaEncoding: 'ieee-p1363' }, raw);
    }
    case 'ssh-rsa': {
      const type = reader.oneOf(['rsa-sha2-256', 'rsa-sha2-512', 'ssh-rsa'], 'the signature type');
      if (type === 'ssh-rsa') wireDefect('is ssh-rsa (SHA-1): only rsa-sha2-256 and rsa-sha2-512 are accepted');
      const modulusBytes = Math.ceil((key.key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
      const raw = reader.string('the RSA signature');
      reader.end('the signature');
      if (raw.length > modulusBytes || raw.length === 0) wireDefect('the RSA signature is longer than the modulus');
      // OpenSSH accepts a signature shorter than the modulus, padded with leading zeros.
      const padded = Buffer.concat([Buffer.alloc(modulusBytes - raw.length), raw]);
      const hash = type === 'rsa-sha2-256' ? 'sha256' : 'sha512';
      return crypto.verify(hash, data, { key: key.key, padding: crypto.constants.RSA_PKCS1_PADDING }, padded);
    }
    case 'sk-ssh-ed25519@openssh.com': {
      reader.oneOf([key.type], 'the signature type');
      const raw = ed25519Signature(reader);
      const signed = securityKeySigned(reader, key, data, policy);
      return crypto.verify(null, signed, key.key, raw);
    }
    case 'sk-ecdsa-sha2-nistp256@openssh.com': {
      reader.oneOf([key.type], 'the signature type');
      // INVARIANT: an ECDSA key is parsed with its curve.
      const raw = ecdsaSignature(reader, key.curve as EcCurve);
      const signed = securityKeySigned(reader, key, data, policy);
      return crypto.verify('sha256', signed, { key: key.key, dsaEncoding: 'ieee-p1363' }, raw);
    }
  }
}

function ed25519Signature(reader: WireReader): Buffer {
  const raw = reader.string('the ed25519 signature');
  if (raw.length !== 64) wireDefect('the ed25519 signature is not 64 bytes');
  return raw;
}

/** RFC 5656's (mpint r, mpint s) inside a string, as the fixed-width r ‖ s node:crypto reads. */
function ecdsaSignature(reader: WireReader, curve: EcCurve): Buffer {
  const inner = readWire(reader.string('the ECDSA signature'), (rs) => {
    const r = rs.mpint('r', curve.bytes);
    const s = rs.mpint('s', curve.bytes);
    rs.end('s');
    return [r, s];
  });
  if ('error' in inner) wireDefect(`the ECDSA signature: ${inner.error}`);
  return Buffer.concat(inner.flatMap((part) => [Buffer.alloc(curve.bytes - part.length), part]));
}

/**
 * What a security key signs (PROTOCOL.u2f): SHA256(application) ‖ flags ‖ counter ‖
 * SHA256(data). The flags and counter trail the signature; the flags must say the user
 * touched the key (OpenSSH 9.2's `ssh-keygen -Y verify` does not ask: we do).
 */
function securityKeySigned(reader: WireReader, key: SshPublicKey, data: Buffer, policy: SignaturePolicy): Buffer {
  const flags = reader.byte('the flags');
  const counter = reader.bytes(4, 'the counter');
  reader.end('the signature');
  if ((flags & SK_USER_PRESENT) === 0) wireDefect('the security key did not assert user presence (flag 0x01)');
  if (policy.requireUserVerification && (flags & SK_USER_VERIFIED) === 0) wireDefect('the security key did not assert user verification (flag 0x04), which this signer requires');
  const sha256 = (bytes: Buffer): Buffer => nodeCrypto().createHash('sha256').update(bytes).digest();
  // INVARIANT: a security key is parsed with its application.
  return Buffer.concat([sha256(key.application as Buffer), Buffer.of(flags), counter, sha256(data)]);
}
