import type { KeyObject } from 'node:crypto';
import { nodeCrypto } from '../builtins.js';
import { readWire, wireDefect, type WireReader } from './_ssh-wire.js';

/** The key types a signer may have (docs/config.md "[signers.NAME]"). */
export const SSH_KEY_TYPES = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;
export type SshKeyType = (typeof SSH_KEY_TYPES)[number];

export const RSA_MIN_BITS = 2048;
/** OpenSSH's own bound; it also bounds what one verification can cost. */
export const RSA_MAX_BITS = 16384;

/** An SSH public key, parsed and imported into node:crypto. */
export interface SshPublicKey {
  readonly type: SshKeyType;
  /** The wire blob: what fingerprints hash and what the SSHSIG blob embeds. */
  readonly blob: Buffer;
  readonly key: KeyObject;
  /** Security keys: the FIDO application (usually `ssh:`); null otherwise. */
  readonly application: Buffer | null;
  /** ECDSA: the curve's hash and its scalar size in bytes. */
  readonly curve: EcCurve | null;
}

export interface EcCurve {
  readonly name: 'nistp256' | 'nistp384' | 'nistp521';
  readonly jwk: 'P-256' | 'P-384' | 'P-521';
  readonly hash: 'sha256' | 'sha384' | 'sha512';
  readonly bytes: number;
}

const CURVES: readonly EcCurve[] = [
  { name: 'nistp256', jwk: 'P-256', hash: 'sha256', bytes: 32 },
  { name: 'nistp384', jwk: 'P-384', hash: 'sha384', bytes: 48 },
  { name: 'nistp521', jwk: 'P-521', hash: 'sha512', bytes: 66 },
];

/** OpenSSH's `SHA256:` fingerprint of a key blob, as `ssh-keygen -lf` prints it. */
export function keyFingerprint(blob: Buffer): string {
  return `SHA256:${nodeCrypto().createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Parses a key blob of an allowed type; every field checked, nothing trailing. */
export function parseKeyBlob(blob: Buffer): SshPublicKey | { error: string } {
  const parsed = readWire(blob, (reader) => readKey(reader));
  if ('error' in parsed) return { error: `key: ${parsed.error}` };
  return { ...parsed, blob };
}

/**
 * Parses one OpenSSH public key line, `TYPE BASE64 [COMMENT]` (a `.pub` file's line). No
 * options before the type, one line only, canonical base64, and the blob's own type must
 * be the line's.
 */
export function parsePublicKeyLine(line: string): SshPublicKey | { error: string } {
  const text = line.replace(/^[ \t]+|[ \t\r\n]+$/g, '');
  if (/[\r\n\0]/.test(text)) return { error: 'must be one line' };
  const [type, data] = text.split(/[ \t]+/, 2);
  if (type === undefined || !(SSH_KEY_TYPES as readonly string[]).includes(type)) {
    return { error: `must start with a key type (${SSH_KEY_TYPES.join(', ')}), with no options before it` };
  }
  if (data === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(data) || Buffer.from(data, 'base64').toString('base64') !== data) {
    return { error: 'the key data after the type is not canonical base64' };
  }
  const key = parseKeyBlob(Buffer.from(data, 'base64'));
  if ('error' in key) return key;
  if (key.type !== type) return { error: `the line says ${type} but the key data holds ${key.type}` };
  return key;
}

function readKey(reader: WireReader): Omit<SshPublicKey, 'blob'> {
  const type = reader.oneOf(SSH_KEY_TYPES, 'the key type');
  const crypto = nodeCrypto();
  const jwk = (value: Record<string, string>): KeyObject => {
    try {
      return crypto.createPublicKey({ key: value, format: 'jwk' });
    } catch {
      return wireDefect('is not a valid public key');
    }
  };
  switch (type) {
    case 'ssh-ed25519':
    case 'sk-ssh-ed25519@openssh.com': {
      const point = reader.string('the ed25519 key');
      if (point.length !== 32) wireDefect('the ed25519 key is not 32 bytes');
      const application = type === 'ssh-ed25519' ? null : reader.string('the application');
      reader.end('the key');
      return { type, key: jwk({ kty: 'OKP', crv: 'Ed25519', x: point.toString('base64url') }), application, curve: null };
    }
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521':
    case 'sk-ecdsa-sha2-nistp256@openssh.com': {
      const wanted = type.startsWith('sk-') ? 'nistp256' : type.slice('ecdsa-sha2-'.length);
      const name = reader.oneOf([wanted], 'the curve name');
      // INVARIANT: `wanted` is one of the three curve names.
      const curve = CURVES.find((c) => c.name === name) as EcCurve;
      const point = reader.string('the EC point');
      if (point.length !== 1 + 2 * curve.bytes || point[0] !== 0x04) wireDefect('the EC point is not an uncompressed point of its curve');
      const application = type.startsWith('sk-') ? reader.string('the application') : null;
      reader.end('the key');
      const x = point.subarray(1, 1 + curve.bytes).toString('base64url');
      const y = point.subarray(1 + curve.bytes).toString('base64url');
      return { type, key: jwk({ kty: 'EC', crv: curve.jwk, x, y }), application, curve };
    }
    case 'ssh-rsa': {
      const e = reader.mpint('the RSA exponent', 8);
      const n = reader.mpint('the RSA modulus', RSA_MAX_BITS / 8);
      reader.end('the key');
      const bits = n.length * 8 - Math.clz32(n[0] as number) + 24;
      if (bits < RSA_MIN_BITS) wireDefect(`the RSA key has ${bits} bits; at least ${RSA_MIN_BITS} are required`);
      if (((e[e.length - 1] as number) & 1) === 0 || (e.length === 1 && (e[0] as number) < 3)) wireDefect('the RSA exponent is not an odd number of at least 3');
      return { type, key: jwk({ kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') }), application: null, curve: null };
    }
  }
}
