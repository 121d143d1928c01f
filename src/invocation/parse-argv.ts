import type { Level } from '../errors.js';
import { isIdentifier } from '../request/index.js';

/** Options of serve mode; they come only from the operator's argv (docs/protocol.md §2.1). */
export interface ServeOptions {
  readonly config: string | undefined;
  readonly level: Level;
  readonly identity: string | undefined;
  readonly tags: readonly string[];
  readonly diagnostic: boolean;
}

/**
 * The `-c` line of form A+B when it holds more than the program name: parsed here, but
 * applied only once the config named before `-c` trusts it (docs/protocol.md §2.1, ADR 0014).
 */
export interface ForcedLine {
  /** The line's options over those before `-c`; null when the line has a bad option. */
  readonly options: ServeOptions | null;
  readonly error: string | null;
  /** Whether the line names --diagnostic; it counts only once the line is trusted. */
  readonly diagnostic: boolean;
}

export type Invocation =
  | { readonly mode: 'serve'; readonly options: ServeOptions; readonly request: string | null; readonly forcedLine: ForcedLine | null }
  | { readonly mode: 'bad-options'; readonly detail: string; readonly diagnostic: boolean }
  | { readonly mode: 'check' | 'sign' | 'unlock' | 'verify-audit' | 'audit' | 'mcp'; readonly args: readonly string[] }
  | { readonly mode: 'version' | 'help' };

const LEVELS: readonly string[] = ['read', 'ops', 'admin'];
const VALUE_OPTIONS = new Set(['--config', '--level', '--identity', '--tags']);

/**
 * Decides what this run is from argv and the environment. A request never selects a
 * subcommand or an option: subcommands are read only from the operator's argv, and the
 * request is only ever SSH_ORIGINAL_COMMAND or the string after a final `-c`.
 */
export function parseInvocation(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, selfPath = 'portcullis'): Invocation {
  const invocation = parseArgv(argv, env, selfPath);
  return env.SSH_CONNECTION === undefined ? withDetailsShown(invocation) : invocation;
}

/** Outside sshd the one reading the answer is the operator: details are always shown (docs/protocol.md §2). */
function withDetailsShown(invocation: Invocation): Invocation {
  if (invocation.mode === 'bad-options') return { ...invocation, diagnostic: true };
  if (invocation.mode !== 'serve') return invocation;
  const line = invocation.forcedLine;
  return {
    ...invocation,
    options: { ...invocation.options, diagnostic: true },
    forcedLine: line === null ? null : { ...line, diagnostic: true, options: line.options === null ? null : { ...line.options, diagnostic: true } },
  };
}

function parseArgv(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, selfPath: string): Invocation {
  const first = argv[0];
  if (first === 'check' || first === 'sign' || first === 'unlock' || first === 'verify-audit' || first === 'audit' || first === 'mcp') return { mode: first, args: argv.slice(1) };
  if (argv.length === 1 && first === '--version') return { mode: 'version' };
  if (argv.length === 1 && (first === '--help' || first === '-h')) return { mode: 'help' };

  let optionWords = argv;
  let dashC: string | null = null;
  const cIndex = argv.indexOf('-c');
  if (cIndex >= 0) {
    if (cIndex !== argv.length - 2) return badOptions('-c must be followed by exactly one argument, at the end', argv.slice(0, cIndex));
    optionWords = argv.slice(0, cIndex);
    dashC = argv[cIndex + 1] ?? '';
  }

  const base = parseServeOptions(optionWords, {});
  // SECURITY: only the words before -c: the -c string may be the client's own text.
  if ('error' in base) return badOptions(base.error, optionWords);
  const options = finish(base.values);

  const original = env.SSH_ORIGINAL_COMMAND;
  if (original !== undefined) {
    if (dashC === null) return { mode: 'serve', options, request: original, forcedLine: null };
    // Form A+B: the -c string is the forced command line, but a client may have set
    // SSH_ORIGINAL_COMMAND itself (form B), so its options wait for the config's trust.
    const forced = dashC.split(/[ \t]+/).filter((word) => word !== '').slice(1);
    if (forced.length === 0) return { mode: 'serve', options, request: original, forcedLine: null };
    const merged = parseServeOptions(forced, base.values);
    const forcedLine: ForcedLine = 'error' in merged
      ? { options: null, error: merged.error, diagnostic: forced.includes('--diagnostic') }
      : { options: finish(merged.values), error: null, diagnostic: forced.includes('--diagnostic') };
    return { mode: 'serve', options, request: original, forcedLine };
  }
  // Forms A+B with no client command: sshd runs the forced line through the login shell and
  // leaves SSH_ORIGINAL_COMMAND unset. The line names Portcullis itself; it is no request,
  // and since a client could send the same text in form B, none of its options apply.
  if (dashC !== null && namesSelf(dashC, selfPath)) return { mode: 'serve', options, request: null, forcedLine: null };
  return { mode: 'serve', options, request: dashC, forcedLine: null };
}

function namesSelf(line: string, selfPath: string): boolean {
  const first = line.trim().split(/[ \t]+/)[0] ?? '';
  const name = first.slice(first.lastIndexOf('/') + 1);
  return first === selfPath || name === 'portcullis' || name === 'portcullis.js' || name === selfPath.slice(selfPath.lastIndexOf('/') + 1);
}

type OptionValues = Partial<Record<'config' | 'level' | 'identity' | 'tags' | 'diagnostic', string>>;

function parseServeOptions(words: readonly string[], inherited: OptionValues): { values: OptionValues } | { error: string } {
  const values: OptionValues = { ...inherited };
  // Repeats count within one line only: the forced line overrides the options before -c.
  const seen = new Set<string>();
  for (let i = 0; i < words.length; i++) {
    // INVARIANT: i < words.length.
    const word = words[i] as string;
    const eq = word.indexOf('=');
    const name = eq > 0 ? word.slice(0, eq) : word;
    if (seen.has(name)) return { error: `option ${name} given twice` };
    seen.add(name);
    if (name === '--diagnostic' && eq < 0) {
      values.diagnostic = 'yes';
      continue;
    }
    if (!VALUE_OPTIONS.has(name)) return { error: `unknown option ${JSON.stringify(word.slice(0, 64))}` };
    let value: string | undefined;
    if (eq > 0) value = word.slice(eq + 1);
    else value = words[++i];
    if (value === undefined) return { error: `option ${name} needs a value` };
    // INVARIANT: name is one of VALUE_OPTIONS.
    const key = name.slice(2) as 'config' | 'level' | 'identity' | 'tags';
    const problem = checkOptionValue(key, value);
    if (problem) return { error: problem };
    values[key] = value;
  }
  return { values };
}

function checkOptionValue(key: 'config' | 'level' | 'identity' | 'tags', value: string): string | null {
  if (key === 'level' && !LEVELS.includes(value)) return `bad level ${JSON.stringify(value.slice(0, 16))}`;
  if (key === 'config' && !value.startsWith('/')) return '--config needs an absolute path';
  if (key === 'identity' && !/^[\x21-\x7e]{1,128}$/.test(value)) return '--identity must be 1..128 printable ASCII characters';
  if (key === 'tags' && value !== '' && !value.split(',').every(isIdentifier)) return '--tags must be a comma list of names';
  return null;
}

function finish(values: OptionValues): ServeOptions {
  return {
    config: values.config,
    // INVARIANT: checkOptionValue admitted only read/ops/admin.
    level: (values.level ?? 'read') as Level,
    identity: values.identity,
    tags: values.tags ? values.tags.split(',') : [],
    diagnostic: values.diagnostic !== undefined,
  };
}

/** --diagnostic counts wherever it stands among `words`, even beside a bad option (§2.1). */
function badOptions(detail: string, words: readonly string[]): Invocation {
  return { mode: 'bad-options', detail, diagnostic: words.includes('--diagnostic') };
}

/**
 * The options of one operator line, read exactly as serve mode reads them; `check --keys`
 * lints every `command=` with it (docs/config.md "portcullis check --keys").
 */
export function parseOperatorOptions(words: readonly string[]): { readonly options: ServeOptions } | { readonly error: string } {
  const parsed = parseServeOptions(words, {});
  return 'error' in parsed ? parsed : { options: finish(parsed.values) };
}
