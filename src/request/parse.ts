import { fail, ok, type Failure, type Result } from '../errors.js';
import { PROOF_FIELD_NAMES, type ProofFields } from '../auth/proof-fields.js';
import { lexWords, type Word } from './_lexer.js';

export type { ProofFieldName, ProofFields } from '../auth/proof-fields.js';

const MAX_ARGUMENTS = 32;
const FIELDS_HINT = `proof fields are ${[...PROOF_FIELD_NAMES, 'stdin_sha256'].map((name) => `+${name}=`).join(' ')}`;
/** A proof field that binds the caller's stdin (docs/protocol.md §7.3); it needs no credential. */
const STDIN_SHA256_FIELD = 'stdin_sha256';

export const BUILTIN_NAMES = ['help', 'list', 'whoami', 'session'] as const;
export type BuiltinName = (typeof BUILTIN_NAMES)[number];

export type BuiltinCall =
  | { readonly name: 'help'; readonly domain: string | null; readonly action: string | null }
  | { readonly name: 'list' }
  | { readonly name: 'whoami' }
  /** Starts session mode (docs/protocol.md §12). */
  | { readonly name: 'session' };

export interface RequestArg {
  readonly key: string;
  readonly value: string;
  readonly column: number;
  /** UTF-16 offsets of the whole word inside the command text, for masking in the audit log. */
  readonly start: number;
  readonly end: number;
}

interface RequestCommon {
  /** Null when the request carries no credential `+field` words. */
  readonly proofFields: ProofFields | null;
  /** `+stdin_sha256`, lowercased: the SHA-256 the caller's stdin must have (docs/protocol.md §7.3). */
  readonly stdinSha256: string | null;
  /** The domain, or the built-in's name. */
  readonly domain: string;
  /** The exact text from the domain word to the end: what a proof signs (docs/protocol.md §3.3). */
  readonly commandText: string;
}

/** A built-in call: no action, no arguments. */
export interface BuiltinRequest extends RequestCommon {
  readonly builtin: BuiltinCall;
  readonly action: null;
  readonly args: readonly [];
}

/** An action of a domain, with its key=value words. */
export interface ActionRequest extends RequestCommon {
  readonly builtin: null;
  readonly action: string;
  /** In request order; duplicates are kept so that policy can name them. */
  readonly args: readonly RequestArg[];
}

/** A request that passed the grammar. Argument semantics are the policy stage's job. */
export type ParsedRequest = BuiltinRequest | ActionRequest;

/** Domains, actions, argument keys, tokens and tags (docs/protocol.md §3.3). */
export const IDENTIFIER = /^[a-z][a-z0-9_-]{0,63}$/;

export function isIdentifier(text: string): boolean {
  return IDENTIFIER.test(text);
}

export function isBuiltinName(name: string): name is BuiltinName {
  return (BUILTIN_NAMES as readonly string[]).includes(name);
}

/** The hint for a connection that sent no command (docs/protocol.md §2.1). */
export const NO_COMMAND_HINT = 'no command given; try: ssh <host> help (many requests: ssh -T <host> session)';

/**
 * Parses a request (docs/protocol.md §3). Never throws; every refusal is `bad_request` with the
 * 1-based column of the offending character, except an empty request, which has none.
 */
export function parseRequest(request: string, maxBytes: number): Result<ParsedRequest> {
  const bytes = Buffer.byteLength(request, 'utf8');
  if (bytes > maxBytes) {
    return fail('bad_request', `request is ${bytes} bytes; the limit is ${maxBytes}`, {
      column: columnAtByte(request, maxBytes),
    });
  }
  const lexed = lexWords(request);
  if (!lexed.ok) return lexed;
  const words = lexed.value;
  if (words.length === 0) return fail('bad_request', 'no command given', { hint: NO_COMMAND_HINT });

  const proof = readProofFields(words);
  if (!proof.ok) return proof;
  const { fields, stdinSha256, next } = proof.value;
  const domainWord = words[next];
  if (domainWord === undefined) return fail('bad_request', 'proof fields must be followed by a command', { hint: NO_COMMAND_HINT });
  const nameError = checkName(domainWord, 'domain');
  if (nameError) return nameError;

  const rest = words.slice(next + 1);
  const last = rest.at(-1) ?? domainWord;
  const commandText = request.slice(domainWord.start, last.end);
  const domain = domainWord.text;

  if (isBuiltinName(domain)) {
    const builtin = readBuiltin(domain, rest);
    if (!builtin.ok) return builtin;
    return ok({ proofFields: fields, stdinSha256, domain, action: null, args: [], commandText, builtin: builtin.value });
  }

  const [actionWord, ...argWords] = rest;
  if (actionWord === undefined) {
    return fail('bad_request', `domain '${domain}' needs an action`, { hint: `try: help ${domain}` });
  }
  const actionError = checkName(actionWord, 'action');
  if (actionError) return actionError;

  const args = readArguments(argWords, domainWord.start);
  if (!args.ok) return args;
  return ok({ proofFields: fields, stdinSha256, domain, action: actionWord.text, args: args.value, commandText, builtin: null });
}

function readProofFields(words: readonly Word[]): Result<{ fields: ProofFields | null; stdinSha256: string | null; next: number }> {
  let fields: Record<string, string> | null = null;
  let stdinSha256: string | null = null;
  let i = 0;
  for (; i < words.length; i++) {
    // INVARIANT: i < words.length.
    const word = words[i] as Word;
    if (!word.text.startsWith('+')) break;
    const eq = word.text.indexOf('=');
    const name = eq < 0 ? word.text.slice(1) : word.text.slice(1, eq);
    if (eq >= 0 && name === STDIN_SHA256_FIELD) {
      if (stdinSha256 !== null) {
        return fail('bad_request', `proof field +${name} is repeated at column ${word.column}`, { column: word.column });
      }
      const hex = word.text.slice(eq + 1);
      if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
        return fail('bad_request', `+stdin_sha256 at column ${word.column} must be 64 hex digits`, { column: word.column });
      }
      stdinSha256 = hex.toLowerCase();
      continue;
    }
    if (eq < 0 || !(PROOF_FIELD_NAMES as readonly string[]).includes(name)) {
      return fail('bad_request', `unknown proof field at column ${word.column}`, {
        column: word.column,
        hint: FIELDS_HINT,
      });
    }
    fields ??= Object.create(null) as Record<string, string>;
    if (name in fields) {
      return fail('bad_request', `proof field +${name} is repeated at column ${word.column}`, { column: word.column });
    }
    fields[name] = word.text.slice(eq + 1);
  }
  return ok({ fields, stdinSha256, next: i });
}

function checkName(word: Word, what: 'domain' | 'action'): { ok: false; error: Failure } | null {
  if (word.text.startsWith('+')) {
    return fail('bad_request', `proof field at column ${word.column} must come before the domain`, { column: word.column });
  }
  if (!isIdentifier(word.text)) {
    const hint = word.text.includes('=') && what === 'action' ? 'give the action name before any key=value' : undefined;
    return fail('bad_request', `${what} at column ${word.column} is not a valid name`, {
      column: word.column,
      ...(hint ? { hint } : { hint: 'names are lowercase letters, digits, - and _' }),
    });
  }
  return null;
}

function readBuiltin(name: BuiltinName, rest: readonly Word[]): Result<BuiltinCall> {
  const maxWords = name === 'help' ? 2 : 0;
  for (const [index, word] of rest.entries()) {
    if (word.text.includes('=') || word.text.startsWith('+') || index >= maxWords) {
      return fail('bad_request', `'${name}' accepts no key=value or extra words (column ${word.column})`, {
        column: word.column,
        hint: name === 'help' ? 'usage: help [domain [action]]' : `usage: ${name}`,
      });
    }
    const error = checkName(word, index === 0 ? 'domain' : 'action');
    if (error) return error;
  }
  if (name !== 'help') return ok({ name });
  return ok({ name, domain: rest[0]?.text ?? null, action: rest[1]?.text ?? null });
}

function readArguments(words: readonly Word[], commandStart: number): Result<RequestArg[]> {
  const args: RequestArg[] = [];
  for (const word of words) {
    if (args.length === MAX_ARGUMENTS) {
      return fail('bad_request', `more than ${MAX_ARGUMENTS} arguments`, { column: word.column });
    }
    if (word.text.startsWith('+')) {
      return fail('bad_request', `proof field at column ${word.column} must come before the domain`, { column: word.column });
    }
    const eq = word.text.indexOf('=');
    if (eq < 0) {
      return fail('bad_request', `positional arguments are not accepted; use key=value (column ${word.column})`, {
        column: word.column,
      });
    }
    const key = word.text.slice(0, eq);
    if (!isIdentifier(key)) {
      return fail('bad_request', `argument name at column ${word.column} is not a valid name`, { column: word.column });
    }
    const [start, end] = [word.start - commandStart, word.end - commandStart];
    args.push({ key, value: word.text.slice(eq + 1), column: word.column, start, end });
  }
  return ok(args);
}

/** Column of the first code point that does not fit within `maxBytes` bytes. */
function columnAtByte(text: string, maxBytes: number): number {
  let bytes = 0;
  let column = 0;
  for (const ch of text) {
    column += 1;
    bytes += Buffer.byteLength(ch, 'utf8');
    if (bytes > maxBytes) return column;
  }
  return column;
}
