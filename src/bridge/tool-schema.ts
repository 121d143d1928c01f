import { LinearPattern } from '../config/linear-pattern.js';
import type { HelpAction, HelpArg } from './_help-answer.js';

/** A JSON Schema object, as MCP carries it. */
export type JsonSchema = Record<string, unknown>;

/**
 * One character a request may carry anywhere (docs/protocol.md §3.1): no C0 control but TAB,
 * no DEL or C1 control, no line or paragraph separator, no U+FFFD, no format character
 * (Cf), no lone surrogate. Written for the `u` flag, which JSON Schema validators use.
 */
const CHAR = String.raw`[^\u0000-\u0008\u000A-\u001F\u007F-\u009F\u2028\u2029\uFFFD\p{Cf}\p{Cs}]`;
const PATH_CHAR = String.raw`[^/\u0000-\u0008\u000A-\u001F\u007F-\u009F\u2028\u2029\uFFFD\p{Cf}\p{Cs}]`;
/** A relative path: segments that are neither empty, `.` nor `..`, no leading `/` (docs/config.md "Arguments"). */
const PATH_SEGMENT = String.raw`(?!\.\.?(?:/|$))${PATH_CHAR}+`;
export const RELATIVE_PATH_PATTERN = `^${PATH_SEGMENT}(?:/${PATH_SEGMENT})*$`;
const REQUEST_TEXT = new RegExp(`^${CHAR}*$`, 'u');

/** The name of the property that carries a stdin action's input; no argument can have it (names start with a letter). */
export const STDIN_PROPERTY = '_stdin';

/**
 * The JSON Schema of one argument, or null when its type is one this bridge does not know
 * (a newer server): a value the schema accepts must be one the server accepts, and the
 * reverse, so an argument that cannot be described exactly leaves its action out.
 */
export function argumentSchema(arg: HelpArg): JsonSchema | null {
  const common: JsonSchema = arg.description === '' ? {} : { description: arg.description };
  if (arg.default !== undefined) common.default = arg.default;
  switch (arg.type) {
    case 'string': {
      const base = basePattern(arg);
      // SECURITY: the host's pattern must be one the server's linear engine runs: one that is
      // not (a hostile or broken host) leaves the action out instead of breaking the bridge.
      if (arg.pattern !== undefined && 'error' in LinearPattern.compile(arg.pattern)) return null;
      // The operator's pattern matches the whole value, with the u flag (docs/config.md).
      const dash = arg.allow_leading_dash === true ? '' : '(?!-)';
      const pattern = arg.pattern === undefined ? base : `^${dash}(?=${CHAR}*$)(?:${arg.pattern})$`;
      return { type: 'string', ...common, minLength: arg.min_length ?? 0, maxLength: arg.max_length ?? 256, pattern };
    }
    case 'enum': {
      // A value the grammar cannot carry could never be sent.
      const values = (arg.values ?? []).filter((v) => REQUEST_TEXT.test(v));
      return values.length === 0 ? null : { type: 'string', ...common, enum: values };
    }
    case 'int':
      // SECURITY: without a written negative min the server's min is 0 (docs/config.md "Arguments").
      return { type: 'integer', ...common, minimum: arg.min ?? 0, maximum: arg.max ?? Number.MAX_SAFE_INTEGER };
    case 'bool':
      return { type: 'boolean', ...common };
    case 'path':
      return { type: 'string', ...common, pattern: RELATIVE_PATH_PATTERN };
    default:
      return null;
  }
}

/** A string argument's schema pattern without the operator's: only the characters and the leading dash. */
function basePattern(arg: HelpArg): string {
  return `^${arg.allow_leading_dash === true ? '' : '(?!-)'}${CHAR}*$`;
}

/**
 * The operator's pattern of an argument, and the schema pattern to check with a backtracking
 * engine instead (ADR 0035): a JSON Schema validator runs `pattern` with V8's backtracking
 * RegExp, and a pattern the server runs in linear time, such as `([a-z0-9]+-?)+`, can
 * take it seconds to minutes on a value of 30 characters.
 */
export interface HostPattern {
  readonly source: string;
  readonly base: string;
}

/** The operator's patterns of an action's arguments, by argument name. */
export function hostPatterns(action: HelpAction): Record<string, HostPattern> {
  const patterns: Record<string, HostPattern> = Object.create(null) as Record<string, HostPattern>;
  for (const arg of action.args) if (arg.type === 'string' && arg.pattern !== undefined) patterns[arg.name] = { source: arg.pattern, base: basePattern(arg) };
  return { ...patterns };
}

/** The `inputSchema` of an action's tool, or null when an argument cannot be described. */
export function inputSchema(action: HelpAction): JsonSchema | null {
  // SECURITY: null prototype: argument names come from the host. INVARIANT: an empty table.
  const properties: Record<string, JsonSchema> = Object.create(null) as Record<string, JsonSchema>;
  const required: string[] = [];
  for (const arg of action.args) {
    const schema = argumentSchema(arg);
    if (schema === null) return null;
    properties[arg.name] = schema;
    if (arg.required && arg.default === undefined) required.push(arg.name);
  }
  if (action.stdin !== false) {
    properties[STDIN_PROPERTY] = { type: 'string', description: `Text given to the action on its stdin (UTF-8, at most ${action.stdin.max_bytes} bytes); none: empty input` };
  }
  return { type: 'object', properties: { ...properties }, ...(required.length > 0 ? { required } : {}), additionalProperties: false };
}

// anyOf rather than a type array: clients that map schemas onto a single-type dialect keep the constraint.
const nullable = (type: string): JsonSchema => ({ anyOf: [{ type }, { type: 'null' }] });

/** The `outputSchema` of every tool: the host's answer (docs/protocol.md §7.2). */
export const ANSWER_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['v', 'request_id', 'ok'],
  properties: {
    v: { type: 'integer' },
    request_id: nullable('string'),
    ok: { type: 'boolean' },
    domain: { type: 'string' },
    action: { type: 'string' },
    exit_code: nullable('integer'),
    signal: nullable('string'),
    duration_ms: { type: 'number' },
    stdout: nullable('string'),
    stderr: nullable('string'),
    stdout_encoding: { type: 'string' },
    stderr_encoding: { type: 'string' },
    stdout_bytes: { type: 'integer' },
    stderr_bytes: { type: 'integer' },
    stdout_truncated: { type: 'boolean' },
    stderr_truncated: { type: 'boolean' },
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        hint: { type: 'string' },
        column: { type: 'integer' },
        argument: { type: 'string' },
        required_level: { type: 'string' },
        reason: { type: 'string' },
        retry_after: { type: 'integer' },
      },
    },
  },
};
