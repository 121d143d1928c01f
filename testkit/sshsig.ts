import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { sshsigSignedData } from '../src/auth/sshsig.js';

/**
 * Test-side SSHSIG signing with node:crypto, for the forms ssh-keygen cannot make here:
 * security-key signatures (PROTOCOL.u2f) with chosen flags, rsa-sha2-256 and SHA-1
 * signatures, and blobs with one field altered. The verifier under test never uses this.
 */
export const NAMESPACE = 'proof-v1@portcullis';

export function wireString(bytes: Buffer | string): Buffer {
  const data = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  return Buffer.concat([length, data]);
}

function uint32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value);
  return out;
}

function mpint(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  return wireString((trimmed[0] as number) & 0x80 ? Buffer.concat([Buffer.of(0), trimmed]) : trimmed);
}

export type TestKeyKind = 'ed25519' | 'sk-ed25519' | 'ecdsa-p256' | 'sk-ecdsa' | 'rsa';

/** A key pair with its SSH public blob and `.pub` line. */
export interface TestKey {
  readonly kind: TestKeyKind;
  readonly privateKey: KeyObject;
  readonly blob: Buffer;
  readonly line: string;
}

const TYPES: Record<TestKeyKind, string> = {
  ed25519: 'ssh-ed25519',
  'sk-ed25519': 'sk-ssh-ed25519@openssh.com',
  'ecdsa-p256': 'ecdsa-sha2-nistp256',
  'sk-ecdsa': 'sk-ecdsa-sha2-nistp256@openssh.com',
  rsa: 'ssh-rsa',
};

export function makeTestKey(kind: TestKeyKind, rsaBits = 2048): TestKey {
  const type = TYPES[kind];
  const pair = kind.includes('ed25519')
    ? generateKeyPairSync('ed25519')
    : kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: rsaBits })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = pair.publicKey.export({ format: 'jwk' });
  const b = (text: string | undefined): Buffer => Buffer.from(text ?? '', 'base64url');
  let blob: Buffer;
  if (kind === 'rsa') blob = Buffer.concat([wireString(type), mpint(b(jwk.e)), mpint(b(jwk.n))]);
  else if (kind.includes('ed25519')) blob = Buffer.concat([wireString(type), wireString(b(jwk.x))]);
  else blob = Buffer.concat([wireString(type), wireString('nistp256'), wireString(Buffer.concat([Buffer.of(4), b(jwk.x), b(jwk.y)]))]);
  if (kind.startsWith('sk-')) blob = Buffer.concat([blob, wireString('ssh:')]);
  return { kind, privateKey: pair.privateKey, blob, line: `${type} ${blob.toString('base64')} test-${kind}` };
}

export interface SignOptions {
  readonly namespace?: string;
  readonly hash?: 'sha256' | 'sha512';
  /** Security keys: the flags byte (0x01 user present, 0x04 user verified). */
  readonly flags?: number;
  /** RSA: the signature algorithm. */
  readonly rsaAlgorithm?: 'rsa-sha2-256' | 'rsa-sha2-512' | 'ssh-rsa';
  /** The key blob embedded in the SSHSIG (default: the signing key's). */
  readonly embeddedBlob?: Buffer;
  readonly version?: number;
  readonly trailing?: Buffer;
}

/** The SSHSIG blob of `message`, signed by `key` as ssh-keygen or a security key would. */
export function sshsigBlob(key: TestKey, message: string, options: SignOptions = {}): Buffer {
  const namespace = options.namespace ?? NAMESPACE;
  const hash = options.hash ?? 'sha512';
  const data = sshsigSignedData(namespace, hash, Buffer.from(message, 'utf8'));
  const signature = signatureBlob(key, data, options);
  return Buffer.concat([
    Buffer.from('SSHSIG'), uint32(options.version ?? 1), wireString(options.embeddedBlob ?? key.blob),
    wireString(namespace), wireString(''), wireString(hash), wireString(signature), options.trailing ?? Buffer.alloc(0),
  ]);
}

function signatureBlob(key: TestKey, data: Buffer, options: SignOptions): Buffer {
  const type = TYPES[key.kind];
  const ecdsa = (signed: Buffer): Buffer => {
    const raw = sign('sha256', signed, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    return wireString(Buffer.concat([mpint(raw.subarray(0, 32)), mpint(raw.subarray(32))]));
  };
  switch (key.kind) {
    case 'ed25519':
      return Buffer.concat([wireString(type), wireString(sign(null, data, key.privateKey))]);
    case 'ecdsa-p256':
      return Buffer.concat([wireString(type), ecdsa(data)]);
    case 'rsa': {
      const algorithm = options.rsaAlgorithm ?? 'rsa-sha2-512';
      const hash = algorithm === 'rsa-sha2-256' ? 'sha256' : algorithm === 'ssh-rsa' ? 'sha1' : 'sha512';
      return Buffer.concat([wireString(algorithm), wireString(sign(hash, data, key.privateKey))]);
    }
    case 'sk-ed25519':
    case 'sk-ecdsa': {
      // PROTOCOL.u2f: the key signs SHA256(application) ‖ flags ‖ counter ‖ SHA256(data).
      const flags = options.flags ?? 0x01;
      const counter = uint32(7);
      const sha256 = (bytes: Buffer | string): Buffer => createHash('sha256').update(bytes).digest();
      const signed = Buffer.concat([sha256('ssh:'), Buffer.of(flags), counter, sha256(data)]);
      const inner = key.kind === 'sk-ed25519' ? wireString(sign(null, signed, key.privateKey)) : ecdsa(signed);
      return Buffer.concat([wireString(type), inner, Buffer.of(flags), counter]);
    }
  }
}

/** The armored form ssh-keygen -Y check-novalidate reads. */
export function armored(blob: Buffer): string {
  const lines = blob.toString('base64').match(/.{1,76}/g) ?? [];
  return `-----BEGIN SSH SIGNATURE-----\n${lines.join('\n')}\n-----END SSH SIGNATURE-----\n`;
}
