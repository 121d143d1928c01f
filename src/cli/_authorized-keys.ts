import { createHash } from 'node:crypto';
import { endOfOptions, parseKeyOptions, type KeyOptions } from './_key-options.js';

/**
 * One line of an authorized_keys file or an AuthorizedPrincipalsFile, read as sshd reads it
 * (sshd(8) "AUTHORIZED_KEYS FILE FORMAT", "AUTHORIZED_PRINCIPALS FILE FORMAT").
 */
export type KeysLine =
  | { readonly kind: 'blank' }
  | { readonly kind: 'invalid'; readonly reason: string }
  | { readonly kind: 'key'; readonly options: KeyOptions; readonly key: PublicKey }
  | { readonly kind: 'principal'; readonly options: KeyOptions; readonly principal: string };

export interface PublicKey {
  readonly type: string;
  /** `SHA256:…` as ssh-keygen -l prints it and the audit log records it. */
  readonly fingerprint: string;
  readonly comment: string;
}

// Type names sshd accepts in authorized_keys, with the name the key blob must carry inside.
const RSA_CERT = 'ssh-rsa-cert-v01@openssh.com';
// Names match exactly (sshd's peek_type_nid); ssh-dss is gone from new sshd releases but
// still read by older ones.
const KEY_TYPES: ReadonlyMap<string, string> = new Map([
  ...['ssh-ed25519', 'sk-ssh-ed25519@openssh.com', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'sk-ecdsa-sha2-nistp256@openssh.com', 'ssh-rsa', 'ssh-dss', 'ssh-mldsa44-ed25519@openssh.com'].flatMap(
    (name): Array<[string, string]> => {
      const cert = name.replace(/(@openssh\.com)?$/, '-cert-v01@openssh.com');
      return [[name, name], [cert, cert]];
    },
  ),
  ['rsa-sha2-256', 'ssh-rsa'],
  ['rsa-sha2-512', 'ssh-rsa'],
  ['rsa-sha2-256-cert-v01@openssh.com', RSA_CERT],
  ['rsa-sha2-512-cert-v01@openssh.com', RSA_CERT],
  ['webauthn-sk-ecdsa-sha2-nistp256@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com'],
  ['webauthn-sk-ecdsa-sha2-nistp256-cert-v01@openssh.com', 'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com'],
]);

/**
 * An authorized_keys line, in sshd's order (check_authkey_line): a key at the start of the
 * line, else an options field, whitespace and a key. Options that sshd would refuse make
 * the line invalid, since sshd then ignores the key.
 */
export function parseAuthorizedKeysLine(line: string): KeysLine {
  const start = skipBlanks(line, 0);
  if (isBlank(line, start)) return { kind: 'blank' };
  const bare = readKey(line, start);
  if ('key' in bare) return { kind: 'key', options: okOptions(''), key: bare.key };
  const end = endOfOptions(line, start);
  if (end === null) return { kind: 'invalid', reason: 'unterminated quote in the options' };
  const key = readKey(line, skipBlanks(line, end));
  if ('reason' in key) return { kind: 'invalid', reason: `no valid key after the options (${key.reason})` };
  const options = parseKeyOptions(line.slice(start));
  if (!options.ok) return { kind: 'invalid', reason: `bad options: ${options.reason}` };
  return { kind: 'key', options: options.options, key: key.key };
}

/**
 * An AuthorizedPrincipalsFile line, as sshd's process_principals() cuts it: `#` ends the
 * line anywhere (even inside quotes), and the principal is what follows the last space, or
 * when there is none the last tab; whatever stands before it is the options field.
 */
export function parsePrincipalsLine(raw: string): KeysLine {
  const hash = raw.indexOf('#');
  let line = hash >= 0 ? raw.slice(0, hash) : raw;
  const start = skipBlanks(line, 0);
  // sshd trims spaces and tabs only: a CRLF file's \r stays part of the principal.
  line = line.slice(start).replace(/[ \t]+$/, '');
  if (line === '') return { kind: 'blank' };
  let cut = line.lastIndexOf(' ');
  if (cut < 0) cut = line.lastIndexOf('\t');
  if (cut < 0) return { kind: 'principal', options: okOptions(''), principal: line };
  const principalStart = skipBlanks(line, cut);
  const principal = line.slice(principalStart);
  const options = parseKeyOptions(line);
  if (!options.ok) return { kind: 'invalid', reason: `bad options: ${options.reason}` };
  // sshd reads the options up to their first unquoted blank and drops anything after them.
  const optionsEnd = endOfOptions(line, 0);
  if (optionsEnd !== null && skipBlanks(line, optionsEnd) < principalStart) return { kind: 'invalid', reason: 'text between the options and the principal, which sshd drops' };
  return { kind: 'principal', options: options.options, principal };
}

function okOptions(text: string): KeyOptions {
  const parsed = parseKeyOptions(text);
  // INVARIANT: the empty options field is valid.
  if (!parsed.ok) throw new Error('empty options refused');
  return parsed.options;
}

function skipBlanks(text: string, at: number): number {
  while (at < text.length && (text[at] === ' ' || text[at] === '\t')) at++;
  return at;
}

function isBlank(line: string, at: number): boolean {
  // A lone \r is a blank line of a CRLF file; sshd fails to read a key there and moves on.
  return at >= line.length || line[at] === '#' || line.slice(at) === '\r';
}

/** sshkey_read(): `type base64 [comment]`; the blob must carry the same type inside. */
function readKey(line: string, at: number): { key: PublicKey } | { reason: string } {
  const typeEnd = nextBlank(line, at);
  const typeName = line.slice(at, typeEnd);
  const expected = KEY_TYPES.get(typeName);
  if (expected === undefined) return { reason: `unknown key type ${JSON.stringify(typeName.slice(0, 40))}` };
  const blobStart = skipBlanks(line, typeEnd);
  const blobEnd = nextBlank(line, blobStart);
  // b64_pton() skips white space such as a CRLF file's \r.
  const text = line.slice(blobStart, blobEnd).replace(/\s+/g, '');
  if (text === '' || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return { reason: 'the key is not base64' };
  const blob = Buffer.from(text, 'base64');
  const inner = blob.length >= 4 ? blob.subarray(4, 4 + blob.readUInt32BE(0)).toString('latin1') : '';
  if (inner !== expected) return { reason: `the key data is not a ${typeName} key` };
  const comment = line.slice(skipBlanks(line, blobEnd)).replace(/\r$/, '');
  const fingerprint = `SHA256:${createHash('sha256').update(plainKeyOf(blob, expected)).digest('base64').replace(/=+$/, '')}`;
  return { key: { type: typeName, fingerprint, comment } };
}

function nextBlank(text: string, at: number): number {
  while (at < text.length && text[at] !== ' ' && text[at] !== '\t') at++;
  return at;
}

// Strings of each key type that follow the type (and a certificate's nonce) in its blob.
const KEY_FIELDS: ReadonlyMap<string, number> = new Map([
  ['ssh-ed25519', 1],
  ['sk-ssh-ed25519@openssh.com', 2],
  ['ecdsa-sha2-nistp256', 2],
  ['ecdsa-sha2-nistp384', 2],
  ['ecdsa-sha2-nistp521', 2],
  ['sk-ecdsa-sha2-nistp256@openssh.com', 3],
  ['ssh-rsa', 2],
  ['ssh-dss', 4],
]);

/**
 * A certificate's fingerprint is that of the key it certifies, as ssh-keygen -l and sshd's
 * log show it: the plain type and the key fields, without the nonce and the signed part.
 */
function plainKeyOf(blob: Buffer, typeName: string): Buffer {
  const plain = typeName.replace('-cert-v01@openssh.com', typeName.startsWith('sk-') || typeName.startsWith('webauthn-') || typeName.startsWith('ssh-mldsa') ? '@openssh.com' : '');
  const fields = KEY_FIELDS.get(plain);
  if (plain === typeName || fields === undefined) return blob;
  const parts: Buffer[] = [];
  let at = 4 + blob.readUInt32BE(0);
  for (let i = 0; i < 1 + fields; i++) {
    if (at + 4 > blob.length) return blob;
    const end = at + 4 + blob.readUInt32BE(at);
    if (end > blob.length) return blob;
    if (i > 0) parts.push(blob.subarray(at, end));
    at = end;
  }
  const name = Buffer.from(plain, 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length);
  return Buffer.concat([length, name, ...parts]);
}
