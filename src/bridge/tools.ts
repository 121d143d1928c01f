import { isIdentifier, parseRequest } from '../request/index.js';
import type { HelpAction, HelpAnswer } from './_help-answer.js';
import { toolName } from './tool-names.js';
import { hostPatterns, inputSchema, type HostPattern, type JsonSchema } from './tool-schema.js';

/** One tool: an action of one host, and everything needed to list and to call it. */
export interface ToolSpec {
  readonly name: string;
  readonly host: string;
  readonly domain: string;
  readonly action: string;
  readonly level: string;
  /** The action is visible only with the host's proof: a call is signed. */
  readonly needsProof: boolean;
  readonly stdin: boolean;
  /** Seconds the server lets it run, when the host says. */
  readonly timeout: number | null;
  readonly title: string;
  readonly description: string;
  readonly inputSchema: JsonSchema;
  /** The operator's patterns, matched by the server's linear engine, never by the schema validator's. */
  readonly patterns: Readonly<Record<string, HostPattern>>;
  readonly annotations: { readonly title: string; readonly readOnlyHint: boolean; readonly destructiveHint: boolean; readonly idempotentHint: boolean; readonly openWorldHint: false };
}

/** What one host showed: its `help` as the key sees it, and with the proof when one is configured. */
export interface HostDiscovery {
  readonly alias: string;
  readonly plain: HelpAnswer;
  readonly raised: HelpAnswer | null;
}

/**
 * The tools of some hosts (docs/mcp.md "Tools"): one per visible action, raw actions left
 * out, and actions the bridge cannot describe exactly. Two tools with one name are an error.
 */
export function buildTools(hosts: readonly HostDiscovery[], prefixWithAlias: boolean): { tools: ToolSpec[] } | { error: string } {
  const tools: ToolSpec[] = [];
  const seen = new Map<string, string>();
  for (const host of hosts) {
    const plain = new Set(host.plain.domains.flatMap((d) => d.actions.map((a) => `${d.name} ${a.name}`)));
    for (const domain of (host.raised ?? host.plain).domains) {
      for (const action of domain.actions) {
        // SECURITY: names come from the host; anything outside the grammar's names is left out.
        if (!isIdentifier(domain.name) || !isIdentifier(action.name) || !action.args.every((arg) => isIdentifier(arg.name)) || action.output !== 'json') continue;
        const schema = inputSchema(action);
        if (schema === null) continue;
        const name = toolName(prefixWithAlias ? host.alias : null, domain.name, action.name);
        const where = `${host.alias}: ${domain.name} ${action.name}`;
        const before = seen.get(name);
        if (before !== undefined) return { error: `two tools would be named ${name} (${before}, and ${where})` };
        seen.set(name, where);
        tools.push(toolOf(name, host.alias, domain.name, action, schema, !plain.has(`${domain.name} ${action.name}`)));
      }
    }
  }
  return { tools };
}

function toolOf(name: string, host: string, domain: string, action: HelpAction, schema: JsonSchema, needsProof: boolean): ToolSpec {
  // An older server may not say: a read action is read-only, any other destructive (docs/config.md).
  const effects = action.effects ?? (action.level === 'read' ? 'read' : 'destructive');
  return {
    name,
    host,
    domain,
    action: action.name,
    level: action.level,
    needsProof,
    stdin: action.stdin !== false,
    timeout: action.timeout ?? null,
    title: action.description,
    description: describe(domain, action, needsProof),
    inputSchema: schema,
    patterns: hostPatterns(action),
    annotations: {
      title: action.description,
      readOnlyHint: effects === 'read',
      destructiveHint: effects === 'destructive',
      idempotentHint: action.idempotent,
      openWorldHint: false,
    },
  };
}

/** The description an agent reads: what it does, its level, and the examples as tool arguments. */
function describe(domain: string, action: HelpAction, needsProof: boolean): string {
  const lines = [`${action.description} (${domain} ${action.name}; level ${action.level}${needsProof ? ', approved by the configured proof on each call' : ''})`];
  for (const example of action.examples) lines.push(`Example: ${exampleArguments(action, example)}`);
  return lines.join('\n');
}

/** An example request as the JSON arguments of this tool; as written when it does not parse. */
function exampleArguments(action: HelpAction, example: string): string {
  const parsed = parseRequest(example, 65536);
  if (!parsed.ok || parsed.value.builtin !== null) return example;
  const args: Record<string, string | number | boolean> = {};
  for (const { key, value } of parsed.value.args) {
    const type = action.args.find((a) => a.name === key)?.type;
    args[key] = type === 'int' ? Number(value) : type === 'bool' ? value === 'true' : value;
  }
  return JSON.stringify(args);
}
