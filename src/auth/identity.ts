import { nodeCrypto } from '../builtins.js';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { userInfo } from 'node:os';
import { canonicalAddress } from './address.js';
import { readCertificate } from './certificate.js';

/** Who is calling, as far as sshd tells us. Only the audit log and lockout use it. */
export interface CallerIdentity {
  /** The client's address and port from SSH_CLIENT, or null outside sshd. */
  readonly client: string | null;
  /** The IP part of SSH_CLIENT in canonical form: the unit of address lockout (docs/protocol.md §5). */
  readonly clientAddress: string | null;
  /** `SHA256:…` fingerprint of the key that authenticated (ExposeAuthInfo), or null. */
  readonly keyFingerprint: string | null;
  /** The key id of the user certificate that authenticated (certificate mode), or null. */
  readonly certificateKeyId: string | null;
}

const MAX_AUTH_INFO_BYTES = 65536;

export function readCallerIdentity(env: Readonly<Record<string, string | undefined>>): CallerIdentity {
  const words = (env.SSH_CLIENT ?? '').split(' ');
  const address = words[0] && /^[0-9A-Fa-f:.%a-z]{1,64}$/.test(words[0]) ? words[0] : null;
  const port = words[1] && /^[0-9]{1,5}$/.test(words[1]) ? words[1] : null;
  const key = readAuthenticatedKey(env.SSH_USER_AUTH);
  return {
    client: address === null ? null : port === null ? address : `${address} ${port}`,
    clientAddress: address === null ? null : canonicalAddress(address) ?? address.toLowerCase(),
    keyFingerprint: key?.fingerprint ?? null,
    certificateKeyId: key?.certificateKeyId ?? null,
  };
}

/**
 * sshd's ExposeAuthInfo file lists the methods that succeeded, one per line, e.g.
 * `publickey ssh-ed25519 AAAAC3…`. The fingerprint is OpenSSH's: SHA-256 of the key
 * blob, unpadded base64. For a certificate it is the certified key's, as sshd logs it, so
 * a key keeps one fingerprint (one lockout caller) across the short-lived certificates it gets.
 */
function readAuthenticatedKey(path: string | undefined): { fingerprint: string; certificateKeyId: string | null } | null {
  if (path === undefined || !path.startsWith('/')) return null;
  const text = readAuthInfo(path);
  if (text === null) return null;
  const line = text
    .split('\n')
    .filter((l) => l.startsWith('publickey '))
    .at(-1);
  const base64 = line?.split(' ')[2];
  if (base64 === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return null;
  const blob = Buffer.from(base64, 'base64');
  const certificate = readCertificate(blob);
  const digest = nodeCrypto().createHash('sha256').update(certificate?.plainKeyBlob ?? blob).digest('base64');
  return { fingerprint: `SHA256:${digest.replace(/=+$/, '')}`, certificateKeyId: certificate?.keyId ?? null };
}

/**
 * Where a client can set SSH_USER_AUTH it may name /dev/zero or a FIFO: open without
 * blocking or following a link, accept only a regular file sshd (root) or we wrote, and
 * read at most the cap, however large the file claims or turns out to be.
 */
function readAuthInfo(path: string): string | null {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    const stats = fstatSync(fd);
    if (!stats.isFile() || (stats.uid !== 0 && stats.uid !== (process.getuid?.() ?? 0))) return null;
    if (stats.size > MAX_AUTH_INFO_BYTES) return null;
    const buffer = Buffer.alloc(MAX_AUTH_INFO_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return length > MAX_AUTH_INFO_BYTES ? null : buffer.toString('latin1', 0, length);
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The account Portcullis runs as: the default identity, and the account `check` inspects. */
export function runningAccount(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}
