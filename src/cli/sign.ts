import { nodeCrypto } from '../builtins.js';
import { readFileSync } from 'node:fs';
import { computeProof, proofMessage, signedCommand } from '../auth/index.js';
import { stripOneNewline } from '../config/index.js';
import { isIdentifier } from '../request/index.js';
import { readableByOthers, signRequest, type SignCredential } from './sign-request.js';

export { signRequest, type SignCredential, type SignOptions, type SignResult } from './sign-request.js';

interface SignIO {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now?: () => number;
  out(text: string): void;
  err(text: string): void;
}

const USAGE = 'usage: portcullis sign (--token NAME (--secret-file PATH | --secret-env VAR) | --signer NAME --ssh-key PATH) [--server-id ID] [--stdin FILE] REQUEST';

const HELP = `${USAGE}

Prints REQUEST with fresh proof fields prepended, ready for
ssh svc@host "$(portcullis sign ...)": +token, +ts, +nonce, +proof with a token's secret,
or +signer, +ts, +nonce, +sig with an SSH key (ssh-keygen -Y sign; a .pub PATH signs with
the key ssh-agent holds, so hardware and FIDO keys work and a security key asks for a touch).
--secret-file strips one trailing newline; --server-id must equal the host's server.id;
--stdin FILE binds the proof to that input.
Exit 0; 2 on a usage error, an unreadable secret or a failed signature.
`;

/**
 * `portcullis sign` (docs/protocol.md §5, §5.2): prints REQUEST with fresh proof fields
 * prepended, ready for `ssh svc@host "$(portcullis sign …)"`. It signs the command text
 * exactly as the server will read it, so what is signed is what runs.
 */
export function runSign(args: readonly string[], io: SignIO): number {
  const parsed = parseSignArgs(args);
  if ('help' in parsed) {
    io.out(HELP);
    return 0;
  }
  if ('error' in parsed) {
    io.err(`portcullis sign: ${parsed.error} (${USAGE})\n`);
    return 2;
  }
  const credential = credentialOf(parsed, io);
  if ('error' in credential) {
    io.err(`portcullis sign: ${credential.error}\n`);
    return 2;
  }
  let stdinSha256: string | null = null;
  if (parsed.stdinFile !== undefined) {
    try {
      stdinSha256 = nodeCrypto().createHash('sha256').update(readFileSync(parsed.stdinFile)).digest('hex');
    } catch {
      io.err(`portcullis sign: cannot read ${parsed.stdinFile}\n`);
      return 2;
    }
  }
  const signed = signRequest(credential, parsed.request, { stdinSha256, ...(io.now !== undefined ? { now: io.now } : {}) });
  if (!signed.ok) {
    io.err(`portcullis sign: ${signed.error}\n`);
    return 2;
  }
  for (const warning of signed.warnings) io.err(`portcullis sign: warning: ${warning}\n`);
  io.out(`${signed.line}\n`);
  return 0;
}

function credentialOf(parsed: SignArgs, io: SignIO): SignCredential | { error: string } {
  if (parsed.signer !== undefined) {
    // INVARIANT: parseSignArgs requires --ssh-key with --signer.
    return { signer: parsed.signer, sshKey: parsed.sshKey as string, serverId: parsed.serverId, env: io.env };
  }
  // INVARIANT: parseSignArgs requires --token when --signer is absent.
  const token = parsed.token as string;
  if (parsed.secretFile !== undefined) {
    const readable = readableByOthers(parsed.secretFile);
    if (readable !== null) io.err(`portcullis sign: warning: ${readable}\n`);
    try {
      return { token, secret: stripOneNewline(readFileSync(parsed.secretFile)), serverId: parsed.serverId };
    } catch {
      return { error: `cannot read ${parsed.secretFile}` };
    }
  }
  // INVARIANT: parseSignArgs requires exactly one of the two secret options.
  const value = io.env[parsed.secretEnv as string];
  if (value === undefined) return { error: `${parsed.secretEnv} is not set` };
  return { token, secret: Buffer.from(value, 'utf8'), serverId: parsed.serverId };
}

/**
 * The request line with its proof fields prepended (docs/protocol.md §5); with `stdinSha256`, the
 * proof also covers the input that must go to the action's stdin (docs/protocol.md §7.3).
 */
export function signedRequestLine(secret: Buffer, serverId: string, token: string, ts: string, nonce: string, commandText: string, stdinSha256: string | null = null): string {
  const proof = computeProof(secret, proofMessage(serverId, token, ts, nonce, signedCommand(commandText, stdinSha256)));
  const stdinField = stdinSha256 === null ? '' : ` +stdin_sha256=${stdinSha256}`;
  return `+token=${token} +ts=${ts} +nonce=${nonce} +proof=${proof}${stdinField} ${commandText}`;
}

interface SignArgs {
  token?: string;
  signer?: string;
  sshKey?: string;
  secretFile?: string;
  secretEnv?: string;
  serverId: string;
  stdinFile?: string;
  request: string;
}

function parseSignArgs(args: readonly string[]): SignArgs | { error: string } | { help: true } {
  const values: Record<string, string> = Object.create(null) as Record<string, string>;
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string; // INVARIANT: i < args.length.
    if (arg === '--help' || arg === '-h') return { help: true };
    const match = /^--(token|secret-file|secret-env|signer|ssh-key|server-id|stdin)(?:=(.*))?$/s.exec(arg);
    if (match === null) {
      if (arg.startsWith('--')) return { error: `unknown option ${JSON.stringify(arg.slice(0, 64))}` };
      positional.push(arg);
      continue;
    }
    const name = match[1] as string; // INVARIANT: the group always matches.
    const value = match[2] ?? args[++i];
    if (value === undefined) return { error: `--${name} needs a value` };
    if (name in values) return { error: `--${name} is given twice` };
    values[name] = value;
  }
  const { token, signer } = values;
  if ((token === undefined) === (signer === undefined)) return { error: 'give exactly one of --token NAME and --signer NAME' };
  const name = token ?? signer ?? '';
  if (!isIdentifier(name)) return { error: `${token !== undefined ? '--token' : '--signer'} needs a name (lowercase letters, digits, - and _)` };
  const secretGiven = (values['secret-file'] !== undefined ? 1 : 0) + (values['secret-env'] !== undefined ? 1 : 0);
  if (token !== undefined && (secretGiven !== 1 || values['ssh-key'] !== undefined)) {
    return { error: 'with --token, give exactly one of --secret-file and --secret-env' };
  }
  if (signer !== undefined && (values['ssh-key'] === undefined || secretGiven !== 0)) {
    return { error: 'with --signer, give --ssh-key PATH (and no secret option)' };
  }
  if (positional.length !== 1) return { error: 'give the request as one argument' };
  return {
    ...(token !== undefined ? { token } : {}),
    ...(signer !== undefined ? { signer } : {}),
    ...(values['ssh-key'] !== undefined ? { sshKey: values['ssh-key'] } : {}),
    ...(values['secret-file'] !== undefined ? { secretFile: values['secret-file'] } : {}),
    ...(values['secret-env'] !== undefined ? { secretEnv: values['secret-env'] } : {}),
    serverId: values['server-id'] ?? '',
    ...(values.stdin !== undefined ? { stdinFile: values.stdin } : {}),
    // INVARIANT: positional.length === 1.
    request: positional[0] as string,
  };
}
