import type { ActionConfig, Config } from '../config/index.js';
import type { Failure } from '../errors.js';
import { BUILTIN_NAMES, NO_COMMAND_HINT, isIdentifier } from '../request/index.js';
import { lexWords } from '../request/_lexer.js';
import { isBareCharacter, isWhitespace } from '../request/_chars.js';
import type { Caller } from './authorize.js';
import { NOT_A_SHELL, REQUEST_FORM, acceptedArguments, isVisibleDomain, unknownActionHint, unknownDomainHint, visibleActions } from './hints.js';

/** A word as the caller typed it: `text` unquoted, `raw` with its quotes, to show back. */
interface TypedWord {
  readonly text: string;
  readonly raw: string;
  readonly column: number;
}

const CHAINING = new Set(['|', ';', '&']);
const ONE_ACTION = 'one action per call; filter the JSON on your side';
const HELP_WORDS = new Set(['help', '--help', '-help', '-h', '-?']);

/**
 * Rewrites the hint of a grammar refusal (docs/protocol.md §7.2) so that it teaches: the first
 * word decides whether the caller is talking to a shell, then the hint names the domain's
 * visible actions and arguments, or the whole request to send. Runs only on refusal.
 */
export function teachGrammar(failure: Failure, request: string, config: Config, caller: Caller): Failure {
  if (failure.hint === NO_COMMAND_HINT) return failure;
  const lexed = lexWords(request);
  const all: TypedWord[] = lexed.ok
    ? lexed.value.map((w) => ({ text: w.text, raw: request.slice(w.start, w.end), column: w.column }))
    : splitLoosely(request);
  const start = all.findIndex((w) => !w.text.startsWith('+'));
  if (start < 0) return failure;
  const words = all.slice(start);
  const column = failure.code === 'bad_request' ? failure.column : undefined;
  const bad = column === undefined ? null : characterAt(request, column);
  const chaining = bad !== null && CHAINING.has(bad);
  const hint = lexed.ok || chaining || isQuotingProblem(bad) ? hintFor(words, lexed.ok, bad, column ?? 0, config, caller) : null;
  return hint === null ? failure : { ...failure, hint };
}

function hintFor(words: readonly TypedWord[], lexedOk: boolean, bad: string | null, column: number, config: Config, caller: Caller): string | null {
  // INVARIANT: teachGrammar passes at least one word.
  const first = words[0] as TypedWord;
  const chaining = bad !== null && CHAINING.has(bad);
  const name = first.text.toLowerCase().replace(/^-+/, '').match(/^[a-z0-9_-]+/)?.[0] ?? '';
  if ((BUILTIN_NAMES as readonly string[]).includes(first.text)) return `${chaining ? `${ONE_ACTION}; ` : ''}${builtinHint(words, config, caller)}`;
  if (HELP_WORDS.has(first.text)) return 'try: help';
  if (!isVisibleDomain(config, caller, name)) {
    const second = words[1]?.text.toLowerCase() ?? null;
    const guess = unknownDomainHint(config, caller, name, second !== null && isIdentifier(second) ? second : null);
    const parts = [NOT_A_SHELL, ...(chaining ? [ONE_ACTION] : []), ...(guess.startsWith('did you mean') ? [guess] : []), REQUEST_FORM, 'try: list'];
    return parts.join('; ');
  }
  if (chaining) return `${ONE_ACTION} (a value holding '${bad}' goes in single quotes)`;
  if (!lexedOk) return `put a value holding '${bad ?? ''}' in single quotes, and send the whole request as one quoted ssh argument so that your shell keeps the quotes`;
  const domain = name;
  if (first.text !== domain) return `did you mean: ${domain}; names are lowercase letters, digits, - and _; try: help ${domain}`;
  const actionWord = words[1];
  if (actionWord === undefined) {
    return `actions in ${domain}: ${visibleActions(config, caller, domain).map((a) => a.name).join(', ')}; try: help ${domain}`;
  }
  if (!isIdentifier(actionWord.text)) {
    if (HELP_WORDS.has(actionWord.text)) return `try: help ${domain}`;
    const before = actionWord.text.includes('=') ? 'give the action before any name=value; ' : '';
    return `${before}${unknownActionHint(config, caller, domain, actionWord.text.toLowerCase())}`;
  }
  const action = visibleActions(config, caller, domain).find((a) => a.name === actionWord.text) ?? null;
  const index = words.findIndex((w, i) => i >= 2 && w.column === column);
  if (index < 0) return null;
  return argumentWordHint(words, index, action, domain, actionWord.text);
}

/** A word after the action that is not `name=value`. */
function argumentWordHint(words: readonly TypedWord[], index: number, action: ActionConfig | null, domain: string, actionName: string): string | null {
  // INVARIANT: index is a valid position of words.
  const word = words[index] as TypedWord;
  const helpCall = action === null ? `help ${domain}` : `help ${domain} ${action.name}`;
  if (word.text.startsWith('+')) return null;
  if (HELP_WORDS.has(word.text)) return `try: ${helpCall}`;
  const eq = word.text.indexOf('=');
  if (eq < 0) {
    const split = lastNamedBefore(words, index);
    if (split >= 0) return quotesRemovedHint(words, split, action, domain, actionName);
    const dashed = word.text.match(/^-+([a-z][a-z0-9_-]*)$/)?.[1];
    if (action !== null && dashed !== undefined && action.args.has(dashed)) {
      const next = words[index + 1];
      const value = next !== undefined && !next.text.includes('=') ? next.raw : '…';
      return `try: ${suggestion(words, action, index, `${dashed}=${shown(action, dashed, value)}`, next === undefined ? null : index + 1)}`;
    }
    if (action !== null && action.args.size === 1) {
      const only = [...action.args.keys()][0] as string;
      return `try: ${suggestion(words, action, index, `${only}=${shown(action, only, word.raw)}`, null)}`;
    }
    return `arguments are name=value; ${action === null ? '' : `${acceptedArguments(action)}; `}see: ${helpCall}`;
  }
  const key = word.text.slice(0, eq).toLowerCase().replace(/^-+/, '');
  if (action !== null && action.args.has(key)) {
    const value = word.raw.slice(word.raw.indexOf('=') + 1);
    return `try: ${suggestion(words, action, index, `${key}=${shown(action, key, value)}`, null)}`;
  }
  return `argument names are lowercase letters, digits, - and _; ${action === null ? '' : `${acceptedArguments(action)}; `}see: ${helpCall}`;
}

/**
 * `note=hotfix for login`: the local shell split a quoted value into words. Shows the request
 * as one shell word holding the quotes (sensitive values stay hidden).
 */
function quotesRemovedHint(words: readonly TypedWord[], split: number, action: ActionConfig | null, domain: string, actionName: string): string {
  const named = words[split] as TypedWord;
  const eq = named.text.indexOf('=');
  const key = named.text.slice(0, eq);
  let end = split + 1;
  while (end < words.length && !(words[end] as TypedWord).text.includes('=')) end += 1;
  const value = [named.text.slice(eq + 1), ...words.slice(split + 1, end).map((w) => w.text)].join(' ');
  const quoted = isShowable(action, key) ? `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"` : '"…"';
  const others = words.slice(2).flatMap((w, i) => {
    const at = i + 2;
    if (at === split) return [`${key}=${quoted}`];
    if (at > split && at < end) return [];
    return [renderWord(w, action)];
  });
  const request = [domain, actionName, ...others].join(' ');
  return `the local shell removed the quotes around a value with spaces; send the whole request as one quoted argument: ssh <host> ${shellQuote(request)}`;
}

function builtinHint(words: readonly TypedWord[], config: Config, caller: Caller): string {
  // INVARIANT: the first word is a built-in name.
  const name = (words[0] as TypedWord).text;
  if (name !== 'help') return `${name} takes nothing after it; try: ${name}`;
  const domain = words[1]?.text ?? '';
  if (!isVisibleDomain(config, caller, domain)) return 'help takes a domain and an action name, nothing else; try: help';
  const action = words[2]?.text ?? '';
  const known = visibleActions(config, caller, domain).some((a) => a.name === action);
  return `help takes a domain and an action name, nothing else; try: help ${domain}${known ? ` ${action}` : ''}`;
}

/** The request with word `index` replaced (and `drop` removed); values the caller may not see back stay hidden. */
function suggestion(words: readonly TypedWord[], action: ActionConfig, index: number, replacement: string, drop: number | null): string {
  const rest = words.slice(2).flatMap((w, i) => {
    const at = i + 2;
    if (at === index) return [replacement];
    if (at === drop || !w.text.includes('=')) return [];
    return [renderWord(w, action)];
  });
  return [action.domain, action.name, ...rest].join(' ');
}

function renderWord(word: TypedWord, action: ActionConfig | null): string {
  const eq = word.text.indexOf('=');
  if (eq < 0) return word.raw;
  const key = word.text.slice(0, eq);
  return isShowable(action, key) ? word.raw : `${key}=…`;
}

function shown(action: ActionConfig, key: string, value: string): string {
  return isShowable(action, key) ? value : '…';
}

/** SECURITY: a value is shown back only for a visible action's declared, non-sensitive argument. */
function isShowable(action: ActionConfig | null, key: string): boolean {
  // SECURITY: Map lookup: the key comes from the network.
  const spec = action?.args.get(key);
  return spec !== undefined && !spec.sensitive;
}

function lastNamedBefore(words: readonly TypedWord[], index: number): number {
  for (let i = index - 1; i >= 2; i--) if ((words[i] as TypedWord).text.includes('=')) return i;
  return -1;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Whitespace-separated words of a request the lexer refused; only their first is relied on. */
function splitLoosely(request: string): TypedWord[] {
  const words: TypedWord[] = [];
  let column = 0;
  let current: { text: string; column: number } | null = null;
  for (const ch of request) {
    column += 1;
    if (isWhitespace(ch.codePointAt(0) as number)) {
      if (current !== null) words.push({ ...current, raw: current.text });
      current = null;
    } else if (current === null) current = { text: ch, column };
    else current.text += ch;
  }
  if (current !== null) words.push({ ...current, raw: current.text });
  return words;
}

function characterAt(request: string, column: number): string | null {
  let at = 0;
  for (const ch of request) if (++at === column) return ch;
  return null;
}

/** A character the grammar refuses outside quotes only (docs/protocol.md §3.2). */
function isQuotingProblem(ch: string | null): boolean {
  if (ch === null || ch === "'" || ch === '"' || ch === '\\') return false;
  const cp = ch.codePointAt(0) as number;
  return cp >= 0x21 && cp < 0x7f && !isBareCharacter(cp);
}
