/**
 * The options field of an authorized_keys or AuthorizedPrincipalsFile line, parsed the way
 * OpenSSH's sshauthopt_parse() does (sshd(8) "AUTHORIZED_KEYS FILE FORMAT"): names match
 * case-insensitively, values are double-quoted with `\"` as the only escape, and anything
 * sshd would reject makes the whole line invalid, since sshd then ignores that key.
 */
export interface KeyOptions {
  /** Whether sshd grants each of these to a session of this key, after `restrict` and the flags in order. */
  readonly pty: boolean;
  readonly portForwarding: boolean;
  readonly agentForwarding: boolean;
  readonly x11Forwarding: boolean;
  readonly userRc: boolean;
  readonly restrict: boolean;
  readonly certAuthority: boolean;
  readonly command: string | null;
  readonly from: string | null;
  readonly principals: string | null;
  readonly environment: readonly string[];
}

export type OptionsResult = { readonly ok: true; readonly options: KeyOptions } | { readonly ok: false; readonly reason: string };

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const NEGATABLE_FLAGS = ['port-forwarding', 'agent-forwarding', 'x11-forwarding', 'touch-required', 'verify-required', 'pty', 'user-rc'] as const;
const VALUE_OPTIONS = ['command', 'principals', 'from', 'expiry-time', 'environment', 'permitopen', 'permitlisten', 'tunnel'] as const;
const SINGLE_VALUE = new Set(['command', 'principals', 'from', 'expiry-time', 'tunnel']);

export function defaultKeyOptions(): KeyOptions {
  return { pty: true, portForwarding: true, agentForwarding: true, x11Forwarding: true, userRc: true, restrict: false, certAuthority: false, command: null, from: null, principals: null, environment: [] };
}

/** Index just past the options field: the first space or tab outside quotes (sshkey_advance_past_options). */
export function endOfOptions(text: string, start: number): number | null {
  let quoted = false;
  let i = start;
  for (; i < text.length && (quoted || (text[i] !== ' ' && text[i] !== '\t')); i++) {
    if (text[i] === '\\' && text[i + 1] === '"') i++;
    else if (text[i] === '"') quoted = !quoted;
  }
  return i >= text.length && quoted ? null : i;
}

/**
 * Parses `text` (the rest of the line, as sshd passes it) up to its first unquoted space or
 * tab; an empty field is the defaults.
 */
export function parseKeyOptions(text: string): OptionsResult {
  const options: Mutable<KeyOptions> & { environment: string[] } = { ...defaultKeyOptions(), environment: [] };
  const seen = new Set<string>();
  let at = 0;
  while (at < text.length && text[at] !== ' ' && text[at] !== '\t') {
    const rest = text.slice(at);
    const flag = matchFlag(rest);
    const name = flag === null ? VALUE_OPTIONS.find((option) => rest.length > option.length && rest.slice(0, option.length).toLowerCase() === option && rest[option.length] === '=') : undefined;
    if (flag !== null) {
      applyFlag(options, flag.name, flag.on);
      at += flag.length;
    } else if (name !== undefined) {
      // Nothing matched: only an empty option (`,,` or a leading comma) passes the comma check below, as in sshd.
      if (SINGLE_VALUE.has(name) && seen.has(name)) return { ok: false, reason: `multiple "${name}" clauses` };
      seen.add(name);
      const value = dequote(text, at + name.length + 1);
      if ('reason' in value) return { ok: false, reason: `${name}: ${value.reason}` };
      const problem = applyValue(options, name, value.text);
      if (problem !== null) return { ok: false, reason: `${name}: ${problem}` };
      at = value.end;
    }
    if (at >= text.length || text[at] === ' ' || text[at] === '\t') break;
    if (text[at] !== ',') return { ok: false, reason: `unknown key option at ${JSON.stringify(text.slice(at, at + 24))}` };
    at += 1;
    if (at >= text.length) return { ok: false, reason: 'unexpected end of options' };
  }
  return { ok: true, options };
}

/** opt_flag(): a prefix match, so `no-ptyx` is `no-pty` followed by junk (refused by the caller). */
function matchFlag(rest: string): { name: string; on: boolean; length: number } | null {
  const lower = rest.toLowerCase();
  if (lower.startsWith('restrict')) return { name: 'restrict', on: true, length: 8 };
  if (lower.startsWith('cert-authority')) return { name: 'cert-authority', on: true, length: 14 };
  for (const name of NEGATABLE_FLAGS) {
    if (lower.startsWith(`no-${name}`)) return { name, on: false, length: name.length + 3 };
    if (lower.startsWith(name)) return { name, on: true, length: name.length };
  }
  return null;
}

function applyFlag(options: Mutable<KeyOptions>, name: string, on: boolean): void {
  if (name === 'restrict') {
    options.restrict = true;
    options.pty = options.portForwarding = options.agentForwarding = options.x11Forwarding = options.userRc = false;
  } else if (name === 'cert-authority') options.certAuthority = true;
  else if (name === 'pty') options.pty = on;
  else if (name === 'port-forwarding') options.portForwarding = on;
  else if (name === 'agent-forwarding') options.agentForwarding = on;
  else if (name === 'x11-forwarding') options.x11Forwarding = on;
  else if (name === 'user-rc') options.userRc = on;
  // touch-required and verify-required concern FIDO keys only.
}

function applyValue(options: Mutable<KeyOptions> & { environment: string[] }, name: string, value: string): string | null {
  if (name === 'command') options.command = value;
  else if (name === 'from') options.from = value;
  else if (name === 'principals') options.principals = value;
  else if (name === 'environment') {
    const eq = value.indexOf('=');
    if (eq <= 0 || !/^[A-Za-z0-9_]+$/.test(value.slice(0, eq))) return 'invalid environment string';
    options.environment.push(value);
  } else if (name === 'expiry-time') {
    if (!/^\d{8}(\d{4}(\d{2})?)?Z?$/.test(value)) return 'invalid expiry time';
  } else if (name === 'tunnel') {
    if (!/^(\d+|any)$/.test(value)) return 'invalid tunnel device';
  } else if (name === 'permitopen' || name === 'permitlisten') {
    // handle_permit(): host:port, a bare port only for permitlisten; port `*` or 1..65535.
    const spec = name === 'permitlisten' && !value.includes(':') ? `*:${value}` : value;
    const colon = spec.lastIndexOf(':');
    if (colon <= 0) return 'invalid permission hostname';
    const port = spec.slice(colon + 1);
    if (port !== '*' && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) return 'invalid permission port';
  }
  return null;
}

/** opt_dequote(): a value in double quotes; `\"` is a quote, every other backslash stays. */
function dequote(text: string, start: number): { text: string; end: number } | { reason: string } {
  if (text[start] !== '"') return { reason: 'missing start quote' };
  let value = '';
  let i = start + 1;
  while (i < text.length && text[i] !== '"') {
    if (text[i] === '\\' && text[i + 1] === '"') i++;
    value += text[i];
    i++;
  }
  if (i >= text.length) return { reason: 'missing end quote' };
  return { text: value, end: i + 1 };
}
