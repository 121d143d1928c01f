/**
 * Environment variables a client must never set for the account (docs/protocol.md §2.1, §2.2):
 * Node reads NODE_* and OPENSSL_CONF, the dynamic loader LD_*, glibc GLIBC_TUNABLES and
 * LOCPATH, all before Portcullis runs; SSH_ORIGINAL_COMMAND would be taken as the request,
 * and Portcullis reads SSH_USER_AUTH, SSH_CLIENT, SSH_CONNECTION and PORTCULLIS_*.
 * Families are prefixes, so a variable added by a later Node or glibc is covered too.
 */
const DANGEROUS_PREFIXES = ['NODE_', 'LD_', 'GLIBC_', 'PORTCULLIS_'];
const DANGEROUS_NAMES = [
  'LOCPATH', 'SSH_ORIGINAL_COMMAND', 'SSH_USER_AUTH', 'OPENSSL_CONF', 'SSH_CLIENT', 'SSH_CONNECTION', 'PATH',
];

/** Whether a variable name belongs to a dangerous family. */
export function isDangerousName(name: string): boolean {
  return DANGEROUS_NAMES.includes(name) || DANGEROUS_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/**
 * The dangerous families (`NODE_*`, `LOCPATH`, …) that an sshd wildcard pattern (`*` and `?`,
 * as in AcceptEnv) can match at least one member of.
 */
export function dangerousFamiliesMatched(pattern: string): string[] {
  const names = DANGEROUS_NAMES.filter((name) => globMatches(pattern, name));
  const prefixes = DANGEROUS_PREFIXES.filter((prefix) => globCanMatchSomeExtension(pattern, prefix)).map((prefix) => `${prefix}*`);
  return [...prefixes, ...names];
}

/** Whether `pattern` matches the whole of `text`. */
function globMatches(pattern: string, text: string): boolean {
  const states = advance(pattern, epsilonClosure(pattern, new Set([0])), text);
  return states.has(pattern.length);
}

/**
 * Whether `pattern` matches `prefix` followed by some string: true as soon as the pattern
 * can consume the whole prefix, since whatever is left of a pattern matches some string.
 */
function globCanMatchSomeExtension(pattern: string, prefix: string): boolean {
  return advance(pattern, epsilonClosure(pattern, new Set([0])), prefix).size > 0;
}

// A set of positions in the pattern, simulated as an NFA: no regex built from config text.
function advance(pattern: string, start: Set<number>, text: string): Set<number> {
  let states = start;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    const next = new Set<number>();
    for (const position of states) {
      const token = pattern[position];
      if (token === '*') next.add(position);
      else if (token === '?' || token === char) next.add(position + 1);
    }
    states = epsilonClosure(pattern, next);
    if (states.size === 0) break;
  }
  return states;
}

function epsilonClosure(pattern: string, states: Set<number>): Set<number> {
  const closed = new Set(states);
  for (const position of states) {
    let at = position;
    while (pattern[at] === '*') closed.add(++at);
  }
  return closed;
}
