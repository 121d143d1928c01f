/**
 * What the audit log takes from an OpenSSH user certificate (PROTOCOL.certkeys): the key it
 * certifies and its key id. sshd has already verified the certificate; this only reads it.
 */
export interface CertificateFacts {
  /** The certified public key's blob, whose SHA-256 is the fingerprint sshd logs for it. */
  readonly plainKeyBlob: Buffer;
  /** The key id the CA wrote (`ssh-keygen -s … -I ID`), capped for the log. */
  readonly keyId: string;
}

const CERT_SUFFIX = '-cert-v01@openssh.com';
const MAX_KEY_ID_CHARS = 256;

/** How many length-prefixed public-key fields follow the nonce, per certificate type. */
const KEY_FIELDS: Readonly<Record<string, number>> = {
  'ssh-ed25519': 1,
  'sk-ssh-ed25519': 2,
  'ssh-rsa': 2,
  'ecdsa-sha2-nistp256': 2,
  'ecdsa-sha2-nistp384': 2,
  'ecdsa-sha2-nistp521': 2,
  'sk-ecdsa-sha2-nistp256': 3,
  'ssh-dss': 4,
};

/** The facts of a certificate blob, or null when the blob is not a certificate (a plain key) or is malformed. */
export function readCertificate(blob: Buffer): CertificateFacts | null {
  const reader = new WireReader(blob);
  const type = reader.string()?.toString('latin1');
  if (type === undefined || !type.endsWith(CERT_SUFFIX)) return null;
  const base = type.slice(0, -CERT_SUFFIX.length);
  const fields = KEY_FIELDS[base];
  if (fields === undefined || reader.string() === undefined) return null; // the nonce
  const keyStart = reader.offset;
  for (let i = 0; i < fields; i++) if (reader.string() === undefined) return null;
  const keyFields = blob.subarray(keyStart, reader.offset);
  if (reader.skip(8 + 4) === undefined) return null; // serial, type
  const keyId = reader.string();
  if (keyId === undefined) return null;
  const plainType = Buffer.from(base.startsWith('sk-') ? `${base}@openssh.com` : base, 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(plainType.length);
  const text = keyId.toString('utf8');
  return {
    plainKeyBlob: Buffer.concat([length, plainType, keyFields]),
    keyId: text.length <= MAX_KEY_ID_CHARS ? text : `${text.slice(0, MAX_KEY_ID_CHARS)}…`,
  };
}

class WireReader {
  offset = 0;
  constructor(private readonly data: Buffer) {}

  string(): Buffer | undefined {
    if (this.offset + 4 > this.data.length) return undefined;
    const length = this.data.readUInt32BE(this.offset);
    const start = this.offset + 4;
    if (length > this.data.length - start) return undefined;
    this.offset = start + length;
    return this.data.subarray(start, this.offset);
  }

  skip(bytes: number): number | undefined {
    if (this.offset + bytes > this.data.length) return undefined;
    this.offset += bytes;
    return this.offset;
  }
}
