import { nodeCrypto } from '../builtins.js';
import { readWire, wireDefect } from './_ssh-wire.js';
import { parseKeyBlob } from './ssh-key.js';
import { verifySignature, type SignaturePolicy } from './ssh-signature.js';

const MAGIC = Buffer.from('SSHSIG', 'latin1');
const HASH_ALGORITHMS = ['sha256', 'sha512'] as const;

/** An SSHSIG blob (OpenSSH PROTOCOL.sshsig) of version 1, as read. */
interface Sshsig {
  readonly version: number;
  readonly publicKey: Buffer;
  readonly reserved: Buffer;
  readonly namespace: string;
  readonly hashAlgorithm: (typeof HASH_ALGORITHMS)[number];
  readonly signature: Buffer;
}

/** What the signature of an SSHSIG covers: the magic, the namespace, an empty reserved field, the hash. */
export function sshsigSignedData(namespace: string, hashAlgorithm: 'sha256' | 'sha512', message: Buffer): Buffer {
  const string = (bytes: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
  };
  const digest = nodeCrypto().createHash(hashAlgorithm).update(message).digest();
  return Buffer.concat([MAGIC, string(Buffer.from(namespace, 'utf8')), string(Buffer.alloc(0)), string(Buffer.from(hashAlgorithm, 'latin1')), string(digest)]);
}

function parseSshsig(blob: Buffer): Sshsig | { error: string } {
  return readWire(blob, (reader) => {
    if (!reader.bytes(MAGIC.length, 'the magic').equals(MAGIC)) wireDefect('does not start with SSHSIG');
    const version = reader.uint32('the version');
    if (version !== 1) wireDefect(`is of version ${version}; only 1 is accepted`);
    const publicKey = reader.string('the public key');
    const namespace = reader.string('the namespace').toString('latin1');
    const reserved = reader.string('the reserved field');
    const hashAlgorithm = reader.oneOf(HASH_ALGORITHMS, 'the hash algorithm');
    const signature = reader.string('the signature');
    reader.end('the signature');
    return { version, publicKey, namespace, reserved, hashAlgorithm, signature };
  });
}

/** What the server expects of an SSHSIG: the namespace and, when the signer is configured, its key. */
export interface SshsigExpectation extends SignaturePolicy {
  readonly namespace: string;
  /** The configured key blob; null for a name that is not configured. */
  readonly keyBlob: Buffer | null;
}

/**
 * Verifies an SSHSIG blob over `message` (OpenSSH PROTOCOL.sshsig, docs/protocol.md §5.2).
 * The layout is checked before any crypto: magic, version 1, no trailing bytes, the exact
 * namespace, a hash of sha256 or sha512. The key inside must equal the configured one byte
 * for byte. The signature is verified with the embedded key even when it is not the
 * configured one (or no key is configured), so an unknown name costs what a wrong
 * signature costs. Returns null when valid, else the one reason.
 */
export function verifySshsig(blob: Buffer, message: Buffer, expected: SshsigExpectation): string | null {
  const parsed = parseSshsig(blob);
  if ('error' in parsed) return `the blob: ${parsed.error}`;
  const { namespace, reserved } = parsed;
  if (reserved.length !== 0) return 'the reserved field is not empty';
  if (namespace !== expected.namespace) return `the namespace ${JSON.stringify(namespace.slice(0, 64))} is not ${expected.namespace}`;
  const key = parseKeyBlob(parsed.publicKey);
  if ('error' in key) return `the embedded ${key.error}`;
  const mismatch = expected.keyBlob === null ? 'no signer of that name' : expected.keyBlob.equals(key.blob) ? null : 'the embedded key is not the signer\'s key';
  const invalid = verifySignature(key, sshsigSignedData(namespace, parsed.hashAlgorithm, message), parsed.signature, expected);
  return mismatch ?? invalid;
}
