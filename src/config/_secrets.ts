import { readFileSync } from 'node:fs';
import { errorCode } from '../errors.js';
import { checkSecureFile } from './_permissions.js';

export const MIN_SECRET_BYTES = 16;
const MAX_SECRET_FILE_BYTES = 65536;

/** Whether a secret spec stores the key inside the config file itself. */
export function isInlineSecret(spec: string): boolean {
  return spec.startsWith('b64:') || spec.startsWith('hex:');
}

/**
 * Decodes a token secret (docs/config.md "[tokens.NAME]"): `file:/abs/path` (one trailing newline
 * stripped; the file must pass the §4.6 secret checks), `b64:…` or `hex:…`.
 */
export function resolveSecret(spec: string): { secret: Buffer } | { error: string } {
  let secret: Buffer;
  if (spec.startsWith('file:')) {
    const path = spec.slice(5);
    if (!path.startsWith('/')) return { error: 'file: secrets need an absolute path' };
    const problems = checkSecureFile(path, { secret: true });
    if (problems.length > 0) return { error: problems.join('; ') };
    try {
      const content = readFileSync(path);
      if (content.length > MAX_SECRET_FILE_BYTES) return { error: `secret file is larger than ${MAX_SECRET_FILE_BYTES} bytes` };
      secret = stripOneNewline(content);
    } catch (error) {
      return { error: `secret file cannot be read: ${errorCode(error)}` };
    }
  } else if (spec.startsWith('b64:')) {
    const text = spec.slice(4);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return { error: 'b64: secret is not valid base64' };
    secret = Buffer.from(text, 'base64');
  } else if (spec.startsWith('hex:')) {
    const text = spec.slice(4);
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) return { error: 'hex: secret is not valid hex' };
    secret = Buffer.from(text, 'hex');
  } else {
    return { error: 'must be file:/abs/path, b64:… or hex:…' };
  }
  if (secret.length < MIN_SECRET_BYTES) return { error: `is shorter than ${MIN_SECRET_BYTES} bytes once decoded` };
  return { secret };
}

/** Strips one trailing LF, as `file:` secrets and `sign --secret-file` both do. */
export function stripOneNewline(content: Buffer): Buffer {
  return content.length > 0 && content[content.length - 1] === 0x0a ? content.subarray(0, content.length - 1) : content;
}
