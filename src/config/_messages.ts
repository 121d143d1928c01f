import type { ConfigProblem } from './types.js';

/**
 * Config errors a person understands (docs/config.md "Error messages"): zod's issues and
 * smol-toml's errors reworded, one problem per mistake. Cold code: only a failed load
 * reaches it.
 */

/** The parts of a zod issue this reads (zod 4). */
export interface SchemaIssue {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly keys?: readonly string[];
  readonly values?: readonly unknown[];
  readonly expected?: string;
  readonly origin?: string;
  readonly minimum?: number | bigint;
  readonly maximum?: number | bigint;
  readonly discriminator?: string;
  readonly options?: readonly unknown[];
}

/** The parts of a zod schema node this walks to find the keys a table may hold. */
interface SchemaNode {
  readonly _zod: {
    readonly def: {
      readonly type: string;
      readonly shape?: Readonly<Record<string, SchemaNode>>;
      readonly innerType?: SchemaNode;
      readonly valueType?: SchemaNode;
      readonly element?: SchemaNode;
      readonly options?: readonly SchemaNode[];
      readonly discriminator?: string;
      readonly values?: readonly unknown[];
    };
  };
}

export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text === '' ? '(top level)' : text;
}

/**
 * One problem per mistake: an unknown key that is a near miss of a missing required key (a
 * typo) is reported once, as the unknown key with its suggestion.
 */
export function schemaProblems(issues: readonly SchemaIssue[], document: unknown, schema: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const suggested = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys' || issue.keys === undefined) continue;
    const known = knownKeys(schema as SchemaNode, issue.path, document);
    for (const key of issue.keys) {
      const guess = closest(key, known.filter((k) => k !== key));
      if (guess !== null) suggested.add(formatPath([...issue.path, guess]));
      problems.push({ path: formatPath([...issue.path, key]), message: `unknown key \`${key}\`${guess === null ? '' : ` (did you mean \`${guess}\`?)`}` });
    }
  }
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys' && issue.keys !== undefined) continue;
    const path = formatPath(issue.path);
    const last = issue.path.at(-1);
    if (typeof last === 'string' && valueAt(document, issue.path) === undefined) {
      if (suggested.has(path)) continue;
      // A table zod did not check for unknown keys (no `type` matched) may still hold the typo.
      const typo = nearMissIn(valueAt(document, issue.path.slice(0, -1)), last, knownKeys(schema as SchemaNode, issue.path.slice(0, -1), document));
      problems.push(typo === null
        ? { path, message: `missing required key \`${last}\`` }
        : { path: formatPath([...issue.path.slice(0, -1), typo]), message: `unknown key \`${typo}\` (did you mean \`${last}\`?)` });
      continue;
    }
    problems.push({ path, message: issueMessage(issue, valueAt(document, issue.path)) });
  }
  return problems;
}

/** A key of `table` that is not allowed there and is a near miss of `wanted`, or null. */
function nearMissIn(table: unknown, wanted: string, allowed: readonly string[]): string | null {
  if (table === null || typeof table !== 'object') return null;
  return Object.keys(table).find((key) => key !== wanted && !allowed.includes(key) && closest(key, [wanted]) !== null) ?? null;
}

function issueMessage(issue: SchemaIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_value':
      return `must be one of ${(issue.values ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union': {
      if (issue.discriminator === undefined) return issue.message;
      const options = (issue.options ?? []).map(String);
      const guess = typeof value === 'string' ? closest(value, options) : null;
      return `unknown ${issue.discriminator} ${JSON.stringify(value)}${guess === null ? '' : ` (did you mean \`${guess}\`?)`}; one of ${options.join(', ')}`;
    }
    case 'invalid_type':
      return `must be ${EXPECTED[issue.expected ?? ''] ?? `of type ${issue.expected}`}`;
    case 'too_small':
      if (issue.origin === 'array') return Number(issue.minimum) === 1 ? 'must not be empty' : `must have at least ${issue.minimum} elements`;
      if (issue.origin === 'string') return `must be at least ${issue.minimum} characters long`;
      return `must be at least ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'array') return `must have at most ${issue.maximum} elements`;
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters long`;
      return `must be at most ${issue.maximum}`;
    default:
      // Refinements and regexes carry this repository's own wording (_schema.ts).
      return issue.message;
  }
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string (in quotes)',
  int: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list ([…])',
  object: 'a table',
  record: 'a table',
};

function valueAt(document: unknown, path: readonly PropertyKey[]): unknown {
  let value = document;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** The keys the schema allows in the table at `path` (empty when it cannot tell). */
function knownKeys(schema: SchemaNode, path: readonly PropertyKey[], document: unknown): string[] {
  let node: SchemaNode | undefined = schema;
  for (let i = 0; i <= path.length && node !== undefined; i++) {
    node = unwrap(node, valueAt(document, path.slice(0, i)));
    if (node === undefined || i === path.length) break;
    const def: SchemaNode['_zod']['def'] = node._zod.def;
    const key = path[i] as PropertyKey;
    if (def.type === 'object') node = def.shape?.[String(key)];
    else if (def.type === 'record') node = def.valueType;
    else if (def.type === 'array') node = def.element;
    else node = undefined;
  }
  return node?._zod.def.type === 'object' ? Object.keys(node._zod.def.shape ?? {}) : [];
}

/** Through defaults and optionals; for a union, the member that fits the value (its `type`, or a table). */
function unwrap(node: SchemaNode, value: unknown): SchemaNode | undefined {
  let current: SchemaNode | undefined = node;
  for (let depth = 0; current !== undefined && depth < 8; depth++) {
    const def: SchemaNode['_zod']['def'] = current._zod.def;
    if (def.type === 'default' || def.type === 'optional' || def.type === 'nullable') current = def.innerType;
    else if (def.type === 'union') {
      const tag = def.discriminator;
      const wanted = tag === undefined ? undefined : (value as Record<string, unknown> | undefined)?.[tag];
      current = def.options?.find((option) =>
        tag === undefined ? option._zod.def.type === 'object' : option._zod.def.shape?.[tag]?._zod.def.values?.includes(wanted) === true,
      );
    } else return current;
  }
  return current;
}

/** The known name nearest to a typo: at most two edits (a swap counts one), and fewer than half its length. */
export function closest(typo: string, names: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const name of names) {
    const distance = editDistance(typo.toLowerCase(), name.toLowerCase());
    if (distance < bestDistance && distance <= 2 && distance * 2 < Math.max(typo.length, name.length)) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i] as number[];
      const above = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] as number, ((rows[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/**
 * A TOML syntax error at its line. An unclosed string is named as such, at the line and
 * column where it opened (smol-toml reports where the line ended).
 */
export function tomlProblem(error: { line?: number; column?: number; message: string }, text: string): ConfigProblem {
  const firstLine = (error.message.split('\n')[0] ?? 'invalid TOML').replace(/^Invalid TOML document: /, '');
  if (error.line === undefined || error.column === undefined) return { path: '(file)', message: firstLine };
  const line = text.split('\n')[error.line - 1] ?? '';
  if (/unfinished string/.test(firstLine)) {
    return { path: '(file)', message: `line ${error.line}, column ${error.column}: a multi-line string opened here is never closed` };
  }
  const opened = /control characters are not allowed in strings/.test(firstLine) ? unclosedStringColumn(line.replace(/\r$/, '')) : null;
  if (opened !== null) {
    return { path: '(file)', message: `line ${error.line}, column ${opened}: a string opened here is not closed on its line` };
  }
  return { path: '(file)', message: `line ${error.line}, column ${error.column}: ${firstLine}` };
}

/** The 1-based column of a quote left open at the end of a TOML line, or null. */
function unclosedStringColumn(line: string): number | null {
  let open: { quote: string; at: number } | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (open === null) {
      if (ch === '#') return null;
      if (ch === '"' || ch === "'") open = { quote: ch, at: i + 1 };
    } else if (open.quote === '"' && ch === '\\') {
      i += 1;
    } else if (ch === open.quote) {
      open = null;
    }
  }
  return open?.at ?? null;
}
