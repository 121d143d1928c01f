/**
 * Test-only: the bridge's tool set behind the SDK's HTTP handler, for the official
 * conformance suite, which speaks HTTP only (docs/mcp.md "Checked by"). Never shipped:
 * `portcullis mcp` itself serves stdio. Usage: node mcp-http-entry.js BRIDGE_CONFIG PORT_FILE
 */
import { createServer, type IncomingMessage } from 'node:http';
import { writeFileSync } from 'node:fs';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { Catalog } from '../src/bridge/catalog.js';
import { loadBridgeConfig } from '../src/bridge/config.js';
import { createBridgeServer } from '../src/bridge/server.js';

async function main(): Promise<void> {
  const [configPath, portFile] = process.argv.slice(2);
  if (configPath === undefined || portFile === undefined) throw new Error('usage: mcp-http-entry BRIDGE_CONFIG PORT_FILE');
  const loaded = loadBridgeConfig(configPath);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const catalog = new Catalog(loaded.hosts, (line) => process.stderr.write(`${line}\n`));
  const started = await catalog.start();
  if (started.fatal !== null || started.problems.length > 0) throw new Error(`${started.fatal ?? ''} ${started.problems.join('; ')}`);
  const handler = createMcpHandler(() => createBridgeServer(catalog));
  const server = createServer((req, res) => {
    void (async () => {
      const response = await handler.fetch(await webRequest(req));
      res.writeHead(response.status, Object.fromEntries(response.headers.entries()));
      if (response.body === null) {
        res.end();
        return;
      }
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        res.write(value);
      }
      res.end();
    })().catch(() => {
      res.writeHead(500).end();
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    writeFileSync(portFile, String(typeof address === 'object' && address !== null ? address.port : 0));
  });
}

async function webRequest(req: IncomingMessage): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
  const method = req.method ?? 'GET';
  return new Request(`http://${req.headers.host ?? '127.0.0.1'}${req.url ?? '/'}`, { method, headers, ...(method === 'GET' || method === 'HEAD' ? {} : { body: Buffer.concat(chunks) }) });
}

main().catch((error: unknown) => {
  process.stderr.write(`mcp-http-entry: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
