import { closeSync, constants, fstatSync, openSync, readFileSync, writeSync, type Stats } from 'node:fs';
import { checkSecureFile } from '../config/_permissions.js';
import { nodeCrypto } from '../builtins.js';
import { errorCode } from '../errors.js';
import type { SealPoint } from './audit-verify.js';

/**
 * Seals (docs/audit.md "Seals"): one JSON line per seal, appended by a root timer to a file
 * the service account cannot write. The HMAC, keyed with a secret the account cannot read,
 * covers exactly `portcullis-audit-seal/1` LF ts LF seq LF chain LF ino.
 */
export interface Seal extends SealPoint {
  readonly hmac: string;
}

const SEAL = /^\{"ts":"([0-9T:.Z-]{20,30})","seq":(0|[1-9][0-9]{0,15}),"chain":"([0-9a-f]{64})","ino":([0-9]{1,20}),"hmac":"([0-9a-f]{64})"\}$/;
const MIN_KEY_BYTES = 16;

export function sealHmac(key: Buffer, seal: SealPoint): string {
  const text = `portcullis-audit-seal/1\n${seal.ts}\n${seal.seq}\n${seal.chain}\n${seal.ino}`;
  return nodeCrypto().createHmac('sha256', key).update(text, 'utf8').digest('hex');
}

export function sealLine(seal: Seal): string {
  return `{"ts":"${seal.ts}","seq":${seal.seq},"chain":"${seal.chain}","ino":${seal.ino},"hmac":"${seal.hmac}"}\n`;
}

/** Why a seal log cannot be used, with verify-audit's kind for it (docs/audit.md). */
export interface SealLogProblem {
  readonly error: string;
  readonly kind: 'unreadable' | 'bad_seal' | 'forged_seal';
}

/**
 * The seals of a seal log; with `key`, each HMAC is checked too. A missing file has no seals
 * only when `missingOk` (the first seal creates it); any line that is not exactly a seal (or
 * carries a wrong HMAC) is an error, naming the line.
 */
export function readSeals(path: string, key: Buffer | null, missingOk: boolean): { seals: Seal[] } | SealLogProblem {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (error) {
    if (errorCode(error) === 'ENOENT' && missingOk) return { seals: [] };
    return { error: `seal log ${path} cannot be read: ${errorCode(error)}`, kind: 'unreadable' };
  }
  const seals: Seal[] = [];
  const lines = text.split('\n');
  if (lines.pop() !== '') return { error: `seal log ${path}: the last line has no line feed`, kind: 'bad_seal' };
  for (const [index, line] of lines.entries()) {
    const match = SEAL.exec(line);
    if (match === null) return { error: `seal log ${path}: line ${index + 1} is not a seal`, kind: 'bad_seal' };
    // INVARIANT: SEAL has five capture groups and matched.
    const seal: Seal = { ts: match[1] as string, seq: Number(match[2]), chain: match[3] as string, ino: Number(match[4]), hmac: match[5] as string };
    if (key !== null && !sameHex(sealHmac(key, seal), seal.hmac)) return { error: `seal log ${path}: line ${index + 1}: its HMAC does not match the key: a forged seal`, kind: 'forged_seal' };
    seals.push(seal);
  }
  return { seals };
}

/** Appends one seal line (created 0644: seals hold no secret; the directory keeps others out). */
export function appendSeal(path: string, seal: Seal): { error: string } | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o644);
  } catch (error) {
    return { error: `seal log ${path} cannot be opened: ${errorCode(error)}` };
  }
  try {
    const problem = sealLogProblem(fstatSync(fd), path);
    if (problem !== null) return { error: problem };
    const bytes = Buffer.from(sealLine(seal), 'latin1');
    if (writeSync(fd, bytes, 0, bytes.length) !== bytes.length) return { error: `seal log ${path}: short write` };
    return null;
  } catch (error) {
    return { error: `seal log ${path} cannot be written: ${errorCode(error)}` };
  } finally {
    closeSync(fd);
  }
}

/**
 * SECURITY: a seal log that someone else could write, replace or swap back for an older
 * copy is worth nothing: it must be ours, writable by us alone, and every directory above
 * it must pass the same rule as the config's (docs/config.md "File permissions").
 */
function sealLogProblem(file: Stats, path: string): string | null {
  const uid = process.getuid?.() ?? 0;
  if (!file.isFile()) return `seal log ${path} is not a regular file`;
  if (file.uid !== uid || (file.mode & 0o022) !== 0) return `seal log ${path} must be owned by uid ${uid} and writable by it alone`;
  const problems = checkSecureFile(path, { secret: false });
  return problems.length === 0 ? null : `seal log ${path}: ${problems.join('; ')}`;
}

/** The key of `--key file:PATH`: the file's bytes, one trailing newline stripped, at least 16 bytes. */
export function readSealKey(spec: string): { key: Buffer } | { error: string } {
  if (!spec.startsWith('file:/')) return { error: '--key must be file:/absolute/path' };
  const path = spec.slice('file:'.length);
  // SECURITY: a key someone else owns, or could swap through a directory, makes seals forgeable.
  const problems = checkSecureFile(path, { secret: true });
  if (problems.length > 0) return { error: `key ${path}: ${problems.join('; ')}` };
  let bytes: Buffer;
  try {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      // SECURITY: a key others can read or write makes every seal forgeable.
      const mode = fstatSync(fd).mode;
      if ((mode & 0o026) !== 0) return { error: `key ${path} is readable by others or writable by group or others (mode ${(mode & 0o7777).toString(8)})` };
      bytes = readFileSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    return { error: `key ${path} cannot be read: ${errorCode(error)}` };
  }
  const key = bytes.at(-1) === 0x0a ? bytes.subarray(0, -1) : bytes;
  if (key.length < MIN_KEY_BYTES) return { error: `key ${path} holds fewer than ${MIN_KEY_BYTES} bytes` };
  return { key };
}

function sameHex(a: string, b: string): boolean {
  return a.length === b.length && nodeCrypto().timingSafeEqual(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));
}
