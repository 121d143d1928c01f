import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromJsonSchema } from '@modelcontextprotocol/server';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv';
import { LinearPattern } from '../src/config/linear-pattern.js';
import type { ActionConfig, ArgSpec, Config } from '../src/config/index.js';
import { describeVisible, validateArgs } from '../src/policy/index.js';
import { parseRequest } from '../src/request/index.js';
import { helpAnswerSchema } from '../src/bridge/_help-answer.js';
import { requestText } from '../src/bridge/request-text.js';
import { linearPatternValidator } from '../src/bridge/input-validator.js';
import { hostPatterns, inputSchema } from '../src/bridge/tool-schema.js';
import { makeTempDir } from '../testkit/tmp.js';
import { fuzzParameters, hostileText } from './_budget.js';

// A tool's inputSchema accepts exactly the values the server accepts (docs/mcp.md "Tools"):
// specs and values are generated, the schema is built from the server's own `help` of that
// spec, and the SDK's validator (the one `tools/call` runs) must agree with the server's
// grammar and argument checks on the request the bridge would send.
const PATTERNS = ['[a-z]+', '[0-9]+(\\.[0-9]+){0,2}', '\\p{L}[\\p{L}\\p{N} ]*', 'a|b|-x', '.*', '[^/]+', 'v?[0-9]{1,3}', '(ab)*c?', '^x.*$', '\\w+\\s\\w+', '[\\u{1F600}-\\u{1F64F}]+', '.', "[a-z' ]+"];
const SAMPLES = ['-x', '-', 'a', 'abc', '1.2.3', 'v12', 'ab ab', 'x\ty', '\u200b', '\u2028', 'é', '😀😀', '\ud800', '\ufffd', 'a\u0085', '', ' ', "it's", 'a"b\\c', 'x/../y', './a', 'a//b', '/abs', 'a/b', '..', '.', 'a/.', 'xab', 'b', 'aac', 'abc d', '0', '-0', '007', '12'];

const root = makeTempDir('portcullis-mcp-schema-');
const common = { description: '', sensitive: false };

const specArb: fc.Arbitrary<ArgSpec> = fc.oneof(
  fc.record({ max: fc.integer({ min: 1, max: 40 }), minRatio: fc.double({ min: 0, max: 1, noNaN: true }), pattern: fc.option(fc.constantFrom(...PATTERNS)), dash: fc.boolean(), required: fc.boolean() }).map(
    ({ max, minRatio, pattern, dash, required }): ArgSpec => ({
      ...common, name: 'x', type: 'string', required, default: null,
      maxLength: max, minLength: Math.floor(minRatio * max),
      // INVARIANT: every pattern of the list compiles (they are written for it).
      pattern: pattern === null ? null : (LinearPattern.compile(pattern) as { pattern: LinearPattern }).pattern,
      patternSource: pattern, allowLeadingDash: dash,
    }),
  ),
  fc.array(fc.oneof(fc.constantFrom(...SAMPLES), fc.string({ unit: 'binary', maxLength: 5 })), { minLength: 1, maxLength: 4 }).map((values): ArgSpec => ({ ...common, name: 'x', type: 'enum', required: true, default: null, values })),
  fc.record({ min: fc.option(fc.integer({ min: -50, max: 50 })), span: fc.option(fc.integer({ min: 0, max: 100 })) }).map(
    ({ min, span }): ArgSpec => ({ ...common, name: 'x', type: 'int', required: true, default: null, min, max: span === null ? null : (min ?? 0) + span }),
  ),
  fc.constant<ArgSpec>({ ...common, name: 'x', type: 'bool', required: true, default: null }),
  fc.constant<ArgSpec>({ ...common, name: 'x', type: 'path', required: true, default: null, root, mustExist: false }),
);

const textArb = fc.oneof(fc.constantFrom(...SAMPLES), fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: 'grapheme-ascii', maxLength: 12 }), hostileText(4), fc.stringMatching(/^-?[a-z]{1,5}$/));
const jsonValueArb = fc.oneof(
  textArb,
  fc.integer({ min: -120, max: 120 }),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, -Number.MAX_SAFE_INTEGER, 1.5, -0, 1e21),
  fc.boolean(),
);

function actionWith(spec: ArgSpec): ActionConfig {
  return {
    domain: 't', name: 'a', description: 'A', level: 'read', tags: [], exec: [], timeout: 5, cwd: '/', env: new Map(), stdin: null,
    maxOutputBytes: 1024, args: new Map([['x', spec]]), effects: null, idempotent: false, examples: [], output: 'json', rawMaxBytes: 1024,
  };
}

/** The schema the bridge builds from the server's own help for this action. */
function schemaFor(action: ActionConfig) {
  // INVARIANT: describeVisible reads only `domains` of a config.
  const config = { domains: new Map([['t', { name: 't', description: 'T', actions: new Map([['a', action]]) }]]) } as unknown as Config;
  const described = describeVisible(config, { level: 'read', tags: [] }, null, null);
  assert.ok(described.ok);
  const help = helpAnswerSchema.parse({ ok: true, domains: JSON.parse(JSON.stringify(described.value)) });
  const described0 = help.domains[0]!.actions[0]!;
  const schema = inputSchema(described0);
  // The validator `tools/call` runs: the SDK's, with the operator's patterns matched linearly.
  return schema === null ? null : { json: schema, standard: fromJsonSchema(schema, linearPatternValidator(hostPatterns(described0), ENGINE)) };
}

const ENGINE = new AjvJsonSchemaValidator();

function serverAccepts(action: ActionConfig, text: string): boolean {
  const parsed = parseRequest(text, 65536);
  if (!parsed.ok || parsed.value.builtin !== null) return false;
  return validateArgs(action, parsed.value.args).ok;
}

async function schemaAccepts(schema: NonNullable<ReturnType<typeof schemaFor>>, value: unknown): Promise<boolean> {
  const result = await schema.standard['~standard'].validate({ x: value });
  return result.issues === undefined;
}

describe('MCP tool schemas (docs/mcp.md "Tools")', () => {
  it('MCP-001 a value the inputSchema accepts is one the server accepts, and the reverse, for every argument type', async () => {
    await fc.assert(
      fc.asyncProperty(specArb, fc.array(jsonValueArb, { minLength: 1, maxLength: 6 }), async (spec, values) => {
        const action = actionWith(spec);
        const schema = schemaFor(action);
        if (schema === null) return; // a tool left out: nothing to agree on
        for (const value of values) {
          const bySchema = await schemaAccepts(schema, value);
          // The reverse direction: what the server accepts as text, the schema accepts as the JSON value.
          const typed = spec.type === 'int' ? typeof value === 'number' : spec.type === 'bool' ? typeof value === 'boolean' : typeof value === 'string';
          if (!typed) {
            assert.equal(bySchema, false, `schema accepted a ${typeof value} for ${spec.type}`);
            continue;
          }
          const text = requestText('t', 'a', { x: value });
          assert.equal(bySchema, serverAccepts(action, text), `${JSON.stringify(value)} for ${JSON.stringify({ ...spec, pattern: undefined })}: schema ${bySchema}, request ${JSON.stringify(text)}`);
        }
      }),
      fuzzParameters('mcp-schema', 400),
    );
  });

  it('MCP-001 an int argument without a written min refuses a negative value (it could become an option)', async () => {
    const schema = schemaFor(actionWith({ ...common, name: 'x', type: 'int', required: true, default: null, min: null, max: null }));
    assert.ok(schema);
    assert.equal(await schemaAccepts(schema, -1), false);
    assert.equal(await schemaAccepts(schema, 0), true);
  });

  it('MCP-001 a string refuses a leading dash unless allowed, and every character the grammar refuses', async () => {
    const spec: ArgSpec = { ...common, name: 'x', type: 'string', required: true, default: null, maxLength: 20, minLength: 0, pattern: null, patternSource: null, allowLeadingDash: false };
    const schema = schemaFor(actionWith(spec));
    assert.ok(schema);
    for (const bad of ['-rf', 'a\nb', 'a\u200bb', '\u2028', '\ud800', '\ufffd', 'a\u0085']) assert.equal(await schemaAccepts(schema, bad), false, JSON.stringify(bad));
    assert.equal(await schemaAccepts(schema, "it's a \"b\"\t"), true);
  });

  it('MCP-014 an operator pattern that backtracks exponentially is matched in linear time: a value of 40 characters is refused at once, another host\'s calls are not held', async () => {
    const source = '([a-z0-9]+-?)+';
    const compiled = LinearPattern.compile(source) as { pattern: LinearPattern };
    const spec: ArgSpec = { ...common, name: 'x', type: 'string', required: true, default: null, maxLength: 256, minLength: 0, pattern: compiled.pattern, patternSource: source, allowLeadingDash: false };
    const schema = schemaFor(actionWith(spec));
    assert.ok(schema);
    // The listed schema keeps the operator's pattern; only the validator runs it linearly.
    assert.match(String((schema.json.properties as Record<string, Record<string, unknown>>).x?.pattern), /\(\[a-z0-9\]\+-\?\)\+/);
    // With V8's backtracking RegExp this value takes hours (each character doubles it).
    assert.equal(await schemaAccepts(schema, `${'a'.repeat(40)}!`), false);
    assert.equal(await schemaAccepts(schema, 'web-01-blue'), true);
  });

  it('MCP-014 a host pattern the server could not run (invalid, or breaking out of the wrapper) leaves the action out instead of breaking the bridge', () => {
    const hostile = (pattern: string) => helpAnswerSchema.parse({ ok: true, domains: [{ name: 't', description: 'T', actions: [{ name: 'a', description: 'A', level: 'read', args: [{ name: 'x', type: 'string', required: true, description: '', pattern }], stdin: false, output: 'json', idempotent: false, examples: [] }] }] }).domains[0]!.actions[0]!;
    for (const pattern of ['[', ')|(.*', '(a)\\1', '(?=a)a']) assert.equal(inputSchema(hostile(pattern)), null, pattern);
    assert.notEqual(inputSchema(hostile('[a-z]+')), null);
  });
});
