import { statSync } from 'node:fs';
import { nodeChildProcess, nodeCrypto } from '../builtins.js';
import { computeProof, MAX_SIG_CHARACTERS, proofMessage, SIGNATURE_NAMESPACE, signatureMessage, signedCommand } from '../auth/index.js';
import { parseRequest } from '../request/index.js';

/** Who signs: a token's secret (docs/protocol.md §5) or an SSH key (§5.2). */
export type SignCredential =
  | { readonly token: string; readonly secret: Buffer; readonly serverId: string }
  | {
      readonly signer: string;
      /** A private key file, or a `.pub` file whose private half ssh-agent holds (hardware and FIDO keys). */
      readonly sshKey: string;
      readonly serverId: string;
      /** The environment ssh-keygen runs with (SSH_AUTH_SOCK for an agent); default: this process's. */
      readonly env?: Readonly<Record<string, string | undefined>>;
    };

export interface SignOptions {
  /** The lowercase SHA-256 of the stdin the action must receive (docs/protocol.md §7.3). */
  readonly stdinSha256?: string | null;
  readonly now?: () => number;
}

/** A signed request line, with the warnings a person should see; or why nothing was signed. */
export type SignResult = { readonly ok: true; readonly line: string; readonly warnings: readonly string[] } | { readonly ok: false; readonly error: string };

/**
 * Signs one request (the command text, without proof fields) with fresh `ts` and nonce and
 * returns the line to send, proof fields first. It prints nothing and never exits, so the
 * MCP bridge can call it; `portcullis sign` is its command-line face. An SSH key signs
 * through `ssh-keygen -Y sign`, whose prompts (a security key's touch) reach stderr.
 */
export function signRequest(credential: SignCredential, text: string, options: SignOptions = {}): SignResult {
  const request = parseRequest(text, 65536);
  if (!request.ok) return { ok: false, error: `the request is not valid: ${request.error.message}` };
  if (request.value.proofFields !== null || request.value.stdinSha256 !== null) return { ok: false, error: 'the request already carries proof fields' };
  const warnings: string[] = [];
  if (credential.serverId === '') {
    // A warning only: a host may really have server.id = "" (docs/protocol.md §5).
    warnings.push('server_id_empty: no --server-id, so the proof is valid once on every host with an empty server.id that trusts this credential');
  }
  const stdinSha256 = options.stdinSha256 ?? null;
  const command = request.value.commandText;
  const covered = signedCommand(command, stdinSha256);
  const ts = String(Math.floor((options.now?.() ?? Date.now()) / 1000));
  const nonce = nodeCrypto().randomBytes(16).toString('hex');
  const stdinField = stdinSha256 === null ? '' : ` +stdin_sha256=${stdinSha256}`;
  if ('token' in credential) {
    const proof = computeProof(credential.secret, proofMessage(credential.serverId, credential.token, ts, nonce, covered));
    return { ok: true, line: `+token=${credential.token} +ts=${ts} +nonce=${nonce} +proof=${proof}${stdinField} ${command}`, warnings };
  }
  const readable = readableByOthers(credential.sshKey);
  if (readable !== null) warnings.push(readable);
  const message = signatureMessage(credential.serverId, credential.signer, ts, nonce, covered);
  const sig = sshKeygenSign(credential.sshKey, message, credential.env ?? process.env);
  if ('error' in sig) return { ok: false, error: sig.error };
  return { ok: true, line: `+signer=${credential.signer} +ts=${ts} +nonce=${nonce} +sig=${sig.base64}${stdinField} ${command}`, warnings };
}

/** A secret or private key file that others may read is a secret no longer; a `.pub` file is public. */
export function readableByOthers(path: string): string | null {
  if (path.endsWith('.pub')) return null;
  try {
    const mode = statSync(path).mode;
    if ((mode & 0o044) !== 0) return `key_readable: ${path} is readable by group or others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`;
  } catch {
    // ssh-keygen or the reader reports a missing file.
  }
  return null;
}

const ARMOR = /^-----BEGIN SSH SIGNATURE-----\n([A-Za-z0-9+/=\n]+)\n-----END SSH SIGNATURE-----\n?$/;

/** `ssh-keygen -Y sign` over the message; the armored signature becomes one base64 word. */
function sshKeygenSign(keyPath: string, message: string, env: Readonly<Record<string, string | undefined>>): { base64: string } | { error: string } {
  const result = nodeChildProcess().spawnSync('ssh-keygen', ['-Y', 'sign', '-n', SIGNATURE_NAMESPACE, '-f', keyPath], {
    input: message,
    env: env as NodeJS.ProcessEnv,
    // stderr is the person's: ssh-keygen asks there for a passphrase or a security key's touch.
    stdio: ['pipe', 'pipe', 'inherit'],
    encoding: 'utf8',
    // A touch or a PIN waits for a person, but not forever.
    timeout: 300_000,
  });
  if (result.error !== undefined) return { error: `ssh-keygen could not run: ${(result.error as NodeJS.ErrnoException).code ?? result.error.message}` };
  if (result.status !== 0) return { error: `ssh-keygen -Y sign failed (exit ${result.status ?? result.signal}) with ${keyPath}` };
  const armored = ARMOR.exec(result.stdout);
  if (armored === null) return { error: 'ssh-keygen printed no SSH signature' };
  // INVARIANT: the group always matches when the regex does.
  const base64 = (armored[1] as string).replaceAll('\n', '');
  if (base64.length > MAX_SIG_CHARACTERS) return { error: `the signature is ${base64.length} base64 characters; the server accepts at most ${MAX_SIG_CHARACTERS} (an RSA key above 4096 bits is too large)` };
  return { base64 };
}
