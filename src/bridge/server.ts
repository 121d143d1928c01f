import type { McpServer, RegisteredTool, ServerContext } from '@modelcontextprotocol/server';
import { VERSION } from '../version.js';
import type { Catalog } from './catalog.js';
import { linearPatternValidator } from './input-validator.js';
import { errorResult } from './result.js';
import { ANSWER_SCHEMA } from './tool-schema.js';
import type { ToolSpec } from './tools.js';

type Sdk = typeof import('@modelcontextprotocol/server');
type AjvModule = typeof import('@modelcontextprotocol/server/validators/ajv');
let loaded: { sdk: Sdk; outputSchema: ReturnType<Sdk['fromJsonSchema']>; engine: InstanceType<AjvModule['AjvJsonSchemaValidator']> } | undefined;

/**
 * The SDK, loaded on first use: its module set-up is the bridge's largest start-up cost, so
 * `portcullis mcp` starts its first ssh connections before it loads the SDK (ADR 0034).
 */
export function loadSdk(): NonNullable<typeof loaded> {
  if (loaded === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    // INVARIANT: the module's own type, as the static import would give it.
    const sdk = require('@modelcontextprotocol/server') as Sdk;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { AjvJsonSchemaValidator } = require('@modelcontextprotocol/server/validators/ajv') as AjvModule;
    loaded = { sdk, outputSchema: sdk.fromJsonSchema<Record<string, unknown>>(ANSWER_SCHEMA), engine: new AjvJsonSchemaValidator() };
  }
  return loaded;
}

/**
 * One MCP server instance over the catalog's tools (one per stdio connection, either
 * protocol era). Tools are registered from data; when the catalog changes, the changed tools
 * are replaced, and the SDK sends the list-changed notification.
 */
export function createBridgeServer(catalog: Catalog): McpServer {
  const server = new (loadSdk().sdk.McpServer)({ name: 'portcullis', version: VERSION }, { capabilities: { tools: { listChanged: true } } });
  const registered = new Map<string, { spec: string; tool: RegisteredTool }>();
  const sync = (tools: readonly ToolSpec[]): void => {
    const wanted = new Map(tools.map((t) => [t.name, t]));
    for (const [name, entry] of registered) {
      const next = wanted.get(name);
      if (next === undefined || JSON.stringify(next) !== entry.spec) {
        entry.tool.remove();
        registered.delete(name);
      }
    }
    for (const spec of tools) {
      if (registered.has(spec.name)) continue;
      // SECURITY: the spec comes from a host: a tool the SDK refuses is left out, and never
      // ends the bridge (this runs inside a refresh, where a throw would be unhandled).
      try {
        registered.set(spec.name, { spec: JSON.stringify(spec), tool: register(server, catalog, spec) });
      } catch (error) {
        process.stderr.write(`portcullis mcp: the tool ${spec.name} of host ${spec.host} is left out: ${error instanceof Error ? error.message.split('\n')[0] : 'refused'}\n`);
      }
    }
  };
  sync(catalog.tools);
  const stop = catalog.onChange(sync);
  const close = server.close.bind(server);
  server.close = async () => {
    stop();
    await close();
  };
  return server;
}

function register(server: McpServer, catalog: Catalog, spec: ToolSpec): RegisteredTool {
  const { sdk, outputSchema, engine } = loadSdk();
  const input = sdk.fromJsonSchema<Record<string, unknown>>(spec.inputSchema, linearPatternValidator(spec.patterns, engine));
  return server.registerTool(
    spec.name,
    { title: spec.title, description: spec.description, inputSchema: input, outputSchema, annotations: spec.annotations },
    async (args, ctx) => {
      const found = catalog.tool(spec.name);
      if (found === null) return errorResult(`the tool ${spec.name} is no longer offered`);
      return found.host.call(found.tool, args, { signal: ctx.mcpReq.signal, ...progressOf(ctx) });
    },
  );
}

/** Progress notifications from streamed output, when the call carries a progress token. */
function progressOf(ctx: ServerContext): { progress?: (message: string) => void } {
  const token = ctx.mcpReq._meta?.progressToken;
  if (token === undefined) return {};
  let count = 0;
  return {
    progress: (message) => {
      count += 1;
      void ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress: count, message } }).catch(() => {});
    },
  };
}
