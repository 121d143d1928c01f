import { nodeCrypto } from '../builtins.js';
import { readFileSync } from 'node:fs';
import { computeProof, proofMessage, signedCommand } from '../auth/index.js';
import { stripOneNewline } from '../config/index.js';
import { isIdentifier, parseRequest } from '../request/index.js';

interface SignIO {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now?: () => number;
  out(text: string): void;
  err(text: string): void;
}

const USAGE = 'usage: portcullis sign --token NAME (--secret-file PATH | --secret-env VAR) [--server-id ID] [--stdin FILE] REQUEST';

const HELP = `${USAGE}

Prints REQUEST with fresh proof fields (+token, +ts, +nonce, +proof) prepended, ready for
ssh svc@host "$(portcullis sign ...)". --secret-file strips one trailing newline;
--server-id must equal the host's server.id; --stdin FILE binds the proof to that input.
Exit 0; 2 on a usage error or an unreadable secret.
`;

/**
 * `portcullis sign` (docs/protocol.md §5): prints REQUEST with fresh proof fields prepended,
 * ready for `ssh svc@host "$(portcullis sign …)"`. It signs the command text exactly as the
 * server will read it, so what is signed is what runs.
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
  let secret: Buffer;
  if (parsed.secretFile !== undefined) {
    try {
      secret = stripOneNewline(readFileSync(parsed.secretFile));
    } catch {
      io.err(`portcullis sign: cannot read ${parsed.secretFile}\n`);
      return 2;
    }
  } else {
    // INVARIANT: parseSignArgs requires exactly one of the two secret options.
    const value = io.env[parsed.secretEnv as string];
    if (value === undefined) {
      io.err(`portcullis sign: ${parsed.secretEnv} is not set\n`);
      return 2;
    }
    secret = Buffer.from(value, 'utf8');
  }
  const request = parseRequest(parsed.request, 65536);
  if (!request.ok) {
    io.err(`portcullis sign: the request is not valid: ${request.error.message}\n`);
    return 2;
  }
  if (request.value.proofFields !== null || request.value.stdinSha256 !== null) {
    io.err('portcullis sign: the request already carries proof fields\n');
    return 2;
  }
  if (parsed.serverId === '') {
    // A warning only: a host may really have server.id = "" (docs/protocol.md §5).
    io.err('portcullis sign: warning: server_id_empty: no --server-id, so the proof is valid once on every host with an empty server.id that shares this secret\n');
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
  const ts = String(Math.floor((io.now?.() ?? Date.now()) / 1000));
  const nonce = nodeCrypto().randomBytes(16).toString('hex');
  io.out(`${signedRequestLine(secret, parsed.serverId, parsed.token, ts, nonce, request.value.commandText, stdinSha256)}\n`);
  return 0;
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
  token: string;
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
    const match = /^--(token|secret-file|secret-env|server-id|stdin)(?:=(.*))?$/s.exec(arg);
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
  const token = values.token;
  if (token === undefined || !isIdentifier(token)) return { error: '--token NAME is required (a token name)' };
  if ((values['secret-file'] === undefined) === (values['secret-env'] === undefined)) {
    return { error: 'give exactly one of --secret-file and --secret-env' };
  }
  if (positional.length !== 1) return { error: 'give the request as one argument' };
  return {
    token,
    ...(values['secret-file'] !== undefined ? { secretFile: values['secret-file'] } : {}),
    ...(values['secret-env'] !== undefined ? { secretEnv: values['secret-env'] } : {}),
    serverId: values['server-id'] ?? '',
    ...(values.stdin !== undefined ? { stdinFile: values.stdin } : {}),
    // INVARIANT: positional.length === 1.
    request: positional[0] as string,
  };
}
