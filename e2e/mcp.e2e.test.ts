import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { BUNDLE } from '../testkit/sshd.js';
import { connectBridge, startMcpHost, type McpHost } from '../testkit/mcp-bridge.js';
import { signerFor } from '../src/bridge/proof.js';
import type { HostConfig } from '../src/bridge/config.js';

type Json = Record<string, any>;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => T | undefined, ms = 20000): Promise<T> {
  const give = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > give) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

let host: McpHost;
let bridge: Awaited<ReturnType<typeof connectBridge>>;

before(async () => {
  host = await startMcpHost();
  bridge = await connectBridge(host, host.bridgeConfig());
});

after(async () => {
  await bridge?.client.close();
  await host?.stop();
});

describe('portcullis mcp through a real sshd, driven by the SDK client (docs/mcp.md)', () => {
  it('lists one tool per visible action with its schema, annotations and output schema', async () => {
    const { tools } = await bridge.client.listTools();
    const names = tools.map((t) => t.name).sort();
    assert.deepEqual(names, ['t_cat', 't_echo', 't_fail', 't_sleep', 't_tail'], 'admin needs the proof, which this bridge has not');
    const echo = tools.find((t) => t.name === 't_echo') as Json;
    assert.deepEqual(echo.inputSchema.required, ['msg']);
    assert.equal(echo.inputSchema.additionalProperties, false);
    assert.deepEqual([echo.annotations.readOnlyHint, echo.annotations.idempotentHint, echo.annotations.openWorldHint], [true, true, false]);
    assert.match(echo.description, /Example: \{"msg":"hello"\}/);
    assert.equal(echo.outputSchema.type, 'object');
    assert.ok('_stdin' in (tools.find((t) => t.name === 't_cat') as Json).inputSchema.properties);
  });

  it('MCP-004 a call is one request whatever its text holds: no shell, the grammar quotes it', async () => {
    const result = (await bridge.client.callTool({ name: 't_echo', arguments: { msg: `it's "x"; rm -rf / $(id)` } })) as Json;
    assert.equal(result.isError, false, JSON.stringify(result));
    assert.equal(result.structuredContent.stdout, `it's "x"; rm -rf / $(id)\n`);
    assert.equal(JSON.parse(result.content[0].text).ok, true);
  });

  it('a refused call is an error result with the server answer; a value the schema refuses never reaches the host', async () => {
    const escape = (await bridge.client.callTool({ name: 't_tail', arguments: { file: 'out/passwd' } })) as Json;
    assert.equal(escape.isError, true);
    assert.equal(escape.structuredContent.error.code, 'bad_argument');
    const failed = (await bridge.client.callTool({ name: 't_fail', arguments: {} })) as Json;
    assert.deepEqual([failed.isError, failed.structuredContent.exit_code, failed.structuredContent.stderr], [true, 3, 'oops\n']);
    const before = host.audit().length;
    const dash = (await bridge.client.callTool({ name: 't_echo', arguments: { msg: '-rf' } })) as Json;
    assert.equal(dash.isError, true);
    assert.equal(dash.structuredContent, undefined);
    assert.equal(host.audit().length, before, 'nothing reached the host');
  });

  it('a call with a progress token gets progress notifications from the streamed output', async () => {
    const messages: string[] = [];
    const result = (await bridge.client.callTool({ name: 't_sleep', arguments: { seconds: 1 } }, { onprogress: (p) => messages.push(String(p.message)) })) as Json;
    assert.equal(result.structuredContent.ok, true);
    assert.ok(messages.some((m) => m.includes('started')), JSON.stringify(messages));
  });

  it('a stdin action gets _stdin', async () => {
    const result = (await bridge.client.callTool({ name: 't_cat', arguments: { _stdin: 'hello\nstdin' } })) as Json;
    assert.equal(result.structuredContent.stdout, 'hello\nstdin');
  });

  it('MCP-005 cancelling a call stops the remote action: the audit shows aborted', async () => {
    const controller = new AbortController();
    const call = bridge.client.callTool({ name: 't_sleep', arguments: { seconds: 30 } }, { signal: controller.signal });
    const started = await until('the action to start', () => host.audit().find((r) => r.event === 'decision' && r.action === 'sleep' && r.args?.seconds === '30'));
    controller.abort();
    await assert.rejects(call);
    const outcome = await until('the aborted outcome', () => host.audit().find((r) => r.event === 'outcome' && r.request_id === started.request_id));
    assert.equal(outcome.error, 'aborted');
    assert.ok(outcome.duration_ms < 20000);
    const after = (await bridge.client.callTool({ name: 't_echo', arguments: { msg: 'again' } })) as Json;
    assert.equal(after.structuredContent.stdout, 'again\n', 'the pool reconnects');
  });
});

describe('portcullis mcp with a call_timeout', () => {
  it('MCP-019 a call over its call_timeout ends as a tool error, and the host aborts the action', async () => {
    const timed = await connectBridge(host, host.bridgeConfig('call_timeout = 2'));
    try {
      const sent = Date.now();
      const result = (await timed.client.callTool({ name: 't_sleep', arguments: { seconds: 29 } })) as Json;
      assert.equal(result.isError, true, JSON.stringify(result));
      assert.match(JSON.stringify(result.content), /call_timeout/);
      assert.ok(Date.now() - sent < 15000, 'the bridge waited for the action instead of its call_timeout');
      const started = host.audit().find((r) => r.event === 'decision' && r.action === 'sleep' && r.args?.seconds === '29');
      assert.ok(started, 'the action never started: the timeout proves nothing');
      const outcome = await until('the aborted outcome', () => host.audit().find((r) => r.event === 'outcome' && r.request_id === started.request_id));
      assert.equal(outcome.error, 'aborted');
      assert.ok(outcome.duration_ms < 15000, `the action ran on for ${outcome.duration_ms} ms`);
      const after = (await timed.client.callTool({ name: 't_echo', arguments: { msg: 'again' } })) as Json;
      assert.equal(after.structuredContent.stdout, 'again\n', 'the pool reconnects');
    } finally {
      await timed.client.close();
    }
  });
});

describe('portcullis mcp in the 2026-07-28 protocol era', () => {
  it('a client pinned to 2026-07-28 lists and calls the same tools', async () => {
    const modern = await connectBridge(host, host.bridgeConfig(), { era: { pin: '2026-07-28' } });
    try {
      const { tools } = await modern.client.listTools();
      assert.ok(tools.some((t) => t.name === 't_echo'));
      const result = (await modern.client.callTool({ name: 't_echo', arguments: { msg: 'modern' } })) as Json;
      assert.equal(result.structuredContent.stdout, 'modern\n', JSON.stringify(result));
    } finally {
      await modern.client.close();
    }
  });

  it('a 2026-07-28 client hears of a changed tool list too', async () => {
    let changed = 0;
    const modern = await connectBridge(host, host.bridgeConfig('refresh_seconds = 10'), { era: { pin: '2026-07-28' }, listChanged: () => (changed += 1) });
    try {
      await modern.client.listTools();
      host.rewrite(`[domains.t.actions.newer]\ndescription = "Newer"\nlevel = "read"\nexec = ["/bin/echo", "newer"]\n`);
      await until('the list-changed notification', () => (changed > 0 ? true : undefined), 25000);
      assert.ok((await modern.client.listTools()).tools.some((t) => t.name === 't_newer'));
    } finally {
      host.rewrite('');
      await modern.client.close();
    }
  });
});

describe('portcullis mcp with a token proof', () => {
  it('MCP-006 an action above the key level becomes a tool whose calls the bridge signs', async () => {
    const config = host.bridgeConfig(`proof = { token = "bot", secret_file = "${host.dir}/bot.secret" }`);
    const signed = await connectBridge(host, config);
    try {
      const { tools } = await signed.client.listTools();
      const admin = tools.find((t) => t.name === 't_admin') as Json;
      assert.ok(admin, JSON.stringify(tools.map((t) => t.name)));
      assert.equal(admin.annotations.destructiveHint, true);
      assert.match(admin.description, /level admin/);
      const result = (await signed.client.callTool({ name: 't_admin', arguments: {} })) as Json;
      assert.equal(result.structuredContent.stdout, 'admin ran\n', JSON.stringify(result));
      const record = host.audit().find((r) => r.event === 'decision' && r.request_id === result.structuredContent.request_id);
      assert.deepEqual([record?.token, record?.level, record?.key_level], ['bot', 'admin', 'read']);
    } finally {
      await signed.client.close();
    }
  });
});

describe('portcullis mcp with a token proof and an upload', () => {
  it('MCP-020 the bridge signs an upload\'s SHA-256 into its token proof: the server runs those bytes and refuses others', async () => {
    const web: HostConfig = { alias: 'web', ssh: 'root@127.0.0.1', sshOptions: [], sessions: 1, refreshSeconds: 300, callTimeout: null, serverId: 'mcp-host', proof: { kind: 'token', name: 'bot', secretFile: join(host.dir, 'bot.secret') } };
    const sign = signerFor(web);
    assert.ok(sign);
    const bytes = 'token upload';
    const [first, second] = [await sign('t store', bytes), await sign('t store', bytes)];
    assert.match(first, new RegExp(`\\+stdin_sha256=${createHash('sha256').update(bytes).digest('hex')}(\\s|$)`));
    // The bundle as sshd would run it for the host's key; each line has its own nonce.
    const serve = (line: string, stdin: string) =>
      spawnSync(process.execPath, [BUNDLE, '--config', host.config, '--level', 'read', '--identity', 'agent'], { input: stdin, encoding: 'utf8', env: { PATH: '/usr/bin:/bin', SSH_ORIGINAL_COMMAND: line } });
    const swapped = serve(first, 'other bytes');
    assert.equal(swapped.status, 132, swapped.stdout + swapped.stderr);
    const refused = JSON.parse(swapped.stdout);
    assert.deepEqual([refused.ok, refused.error?.code, refused.error?.reason], [false, 'bad_request', 'stdin_mismatch'], swapped.stdout);
    const kept = serve(second, bytes);
    assert.equal(kept.status, 0, kept.stdout + kept.stderr);
    assert.equal(JSON.parse(kept.stdout).stdout, bytes);
  });
});

describe('portcullis mcp with an SSH signer', () => {
  it('MCP-012 an action above the key level is signed with the SSH key on each call (portcullis sign --signer), an upload bound to it', async () => {
    const config = host.bridgeConfig(`proof = { signer = "release", ssh_key = "${host.dir}/signer" }`);
    const signed = await connectBridge(host, config);
    try {
      const { tools } = await signed.client.listTools();
      assert.ok(tools.some((t) => t.name === 't_admin'), JSON.stringify(tools.map((t) => t.name)));
      const result = (await signed.client.callTool({ name: 't_admin', arguments: {} })) as Json;
      assert.equal(result.structuredContent?.stdout, 'admin ran\n', JSON.stringify(result));
      const record = host.audit().find((r) => r.event === 'decision' && r.request_id === result.structuredContent.request_id);
      assert.deepEqual([record?.signer, record?.level, record?.key_level], ['release', 'admin', 'read']);
      assert.match(String(record?.signer_key), /^SHA256:/);
      const upload = (await signed.client.callTool({ name: 't_store', arguments: { _stdin: 'signed upload' } })) as Json;
      assert.equal(upload.structuredContent?.stdout, 'signed upload', JSON.stringify(upload));
      const stored = host.audit().find((r) => r.event === 'decision' && r.request_id === upload.structuredContent.request_id);
      assert.equal(stored?.signer, 'release');
    } finally {
      await signed.client.close();
    }
  });

  it('a signer proof that cannot be made leaves the key its own tools, and --check says why (exit 1)', () => {
    const config = host.bridgeConfig(`proof = { signer = "release", ssh_key = "${host.dir}/missing" }`);
    const run = spawnSync(process.execPath, [BUNDLE, 'mcp', '--check', '--config', config], { env: host.env, encoding: 'utf8' });
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /\n {2}t_echo {2}/);
    assert.doesNotMatch(run.stdout, /t_admin/);
    assert.match(run.stderr, /web: .*the proof could not be made.*; only the actions the key sees without the proof are tools/);
  });
});

describe('portcullis mcp when things change or break', () => {
  it('MCP-007 a config change on the host changes the tool list, with a list-changed notification', async () => {
    const config = host.bridgeConfig('refresh_seconds = 10');
    let changed = 0;
    const watching = await connectBridge(host, config, { listChanged: () => (changed += 1) });
    try {
      assert.equal((await watching.client.listTools()).tools.some((t) => t.name === 't_new'), false);
      host.rewrite(`[domains.t.actions.new]\ndescription = "New"\nlevel = "read"\nexec = ["/bin/echo", "new"]\n`);
      await until('the list-changed notification', () => (changed > 0 ? true : undefined), 25000);
      assert.ok((await watching.client.listTools()).tools.some((t) => t.name === 't_new'));
      const result = (await watching.client.callTool({ name: 't_new', arguments: {} })) as Json;
      assert.equal(result.structuredContent.stdout, 'new\n', 'sessions opened before the change were replaced');
    } finally {
      host.rewrite('');
      await watching.client.close();
    }
  });

  it('MCP-018 a refresh that would give two tools one name is refused: the previous tools stay and still work, and the bridge says why', async () => {
    const config = host.bridgeConfig('refresh_seconds = 10');
    let changed = 0;
    const watching = await connectBridge(host, config, { listChanged: () => (changed += 1) });
    try {
      const names = async (): Promise<string[]> => (await watching.client.listTools()).tools.map((t) => t.name).sort();
      const before = await names();
      // `t x_y` and `t_x y` are both the tool t_x_y.
      host.rewrite(`[domains.t.actions.x_y]\ndescription = "One"\nlevel = "read"\nexec = ["/bin/echo", "one"]\n[domains.t_x]\ndescription = "Other"\n[domains.t_x.actions.y]\ndescription = "Two"\nlevel = "read"\nexec = ["/bin/echo", "two"]\n`);
      const report = await until('the refused refresh on stderr', () => /^portcullis mcp: refresh of .*t_x_y.*the previous tools stay$/m.exec(watching.stderr())?.[0], 25000);
      assert.match(report, /t x_y/);
      assert.match(report, /t_x y/);
      assert.equal(changed, 0, 'a list-changed notification was sent');
      assert.deepEqual(await names(), before);
      const result = (await watching.client.callTool({ name: 't_echo', arguments: { msg: 'still' } })) as Json;
      assert.equal(result.structuredContent.stdout, 'still\n');
    } finally {
      host.rewrite('');
      await watching.client.close();
    }
  });

  it('MCP-015 a call cancelled while it waits for a session is never sent: the host has no record of it', async () => {
    const queued = await connectBridge(host, host.bridgeConfig('sessions = 1'));
    try {
      const busy = queued.client.callTool({ name: 't_sleep', arguments: { seconds: 3 } });
      await until('the first action to start', () => host.audit().find((r) => r.event === 'decision' && r.action === 'sleep' && r.args?.seconds === '3'));
      const controller = new AbortController();
      const waiting = queued.client.callTool({ name: 't_echo', arguments: { msg: 'never-sent' } }, { signal: controller.signal });
      await sleep(300);
      controller.abort();
      await assert.rejects(waiting);
      assert.equal(((await busy) as Json).structuredContent.ok, true, 'the running call was not disturbed');
      const again = (await queued.client.callTool({ name: 't_echo', arguments: { msg: 'after' } })) as Json;
      assert.equal(again.structuredContent.stdout, 'after\n');
      await sleep(1000);
      assert.equal(host.audit().some((r) => r.args?.msg === 'never-sent' || (typeof r.request === 'string' && r.request.includes('never-sent'))), false, 'the cancelled call reached the host');
    } finally {
      await queued.client.close();
    }
  });

  it('MCP-008 a host whose sshd dies mid-call gives a clean tool error, and the bridge lives on', async () => {
    const other = await startMcpHost();
    const dying = await connectBridge(other, other.bridgeConfig());
    try {
      const call = dying.client.callTool({ name: 't_sleep', arguments: { seconds: 30 } });
      await until('the action to start', () => other.audit().find((r) => r.event === 'decision' && r.action === 'sleep'));
      killSshdAndItsSessions(other);
      const result = (await call) as Json;
      assert.equal(result.isError, true);
      assert.match(result.content[0].text, /portcullis: .*(unreachable|ended)/);
      const again = (await dying.client.callTool({ name: 't_echo', arguments: { msg: 'x' } })) as Json;
      assert.equal(again.isError, true, 'the host is down: a clean error, not a crash');
      assert.match(again.content[0].text, /unreachable/);
      assert.ok((await dying.client.listTools()).tools.length > 0, 'the bridge still answers');
    } finally {
      await dying.client.close();
      await other.stop();
    }
  });

  it('MCP-011 the agent closes the stdin of the bridge in the middle of a call: the bridge stops it, the host aborts the action', async () => {
    // A raw client, so that only stdin closes: no signal reaches the bridge or its ssh.
    const bridgeProcess = spawn(process.execPath, [BUNDLE, 'mcp', '--config', host.bridgeConfig()], { env: host.env, stdio: ['pipe', 'pipe', 'inherit'] });
    const send = (message: Json): boolean => bridgeProcess.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
    send({ id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    send({ method: 'notifications/initialized' });
    send({ id: 2, method: 'tools/call', params: { name: 't_sleep', arguments: { seconds: 31 } } });
    const started = await until('the action to start', () => host.audit().find((r) => r.event === 'decision' && r.action === 'sleep' && r.args?.seconds === '31'));
    bridgeProcess.stdin.end();
    const outcome = await until('the aborted outcome', () => host.audit().find((r) => r.event === 'outcome' && r.request_id === started.request_id));
    assert.equal(outcome.error, 'aborted');
    assert.ok(outcome.duration_ms < 20000);
    await until('the bridge to exit', () => (bridgeProcess.exitCode !== null ? true : undefined));
  });

  it('a host without session mode is called one-shot', async () => {
    const plain = await startMcpHost('enabled = false');
    const oneShot = await connectBridge(plain, plain.bridgeConfig());
    try {
      const result = (await oneShot.client.callTool({ name: 't_cat', arguments: { _stdin: 'one shot' } })) as Json;
      assert.equal(result.structuredContent.stdout, 'one shot', JSON.stringify(result));
      assert.equal(plain.audit().some((r) => r.request === 'session'), true, 'a session was asked for first');
      assert.equal(plain.audit().filter((r) => r.action === 'cat' && r.session_id !== undefined).length, 0);
    } finally {
      await oneShot.client.close();
      await plain.stop();
    }
  });

  it('an upload larger than the session line limit goes one-shot, in one piece', async () => {
    const small = await startMcpHost('enabled = true\nmax_line_bytes = 1024');
    const bridged = await connectBridge(small, small.bridgeConfig());
    try {
      const input = 'x'.repeat(1000);
      const result = (await bridged.client.callTool({ name: 't_cat', arguments: { _stdin: input } })) as Json;
      assert.equal(result.structuredContent.stdout, input, JSON.stringify(result).slice(0, 300));
      const record = small.audit().find((r) => r.event === 'outcome' && r.action === 'cat');
      assert.deepEqual([record?.stdin_bytes, record?.session_id], [1000, undefined]);
    } finally {
      await bridged.client.close();
      await small.stop();
    }
  });

  it('MCP-009 a refused key is reported by mcp --check, exit 1, with ssh\'s reason', () => {
    const config = host.bridgeConfig();
    writeFileSync(config, readFileSync(config, 'utf8').replace('client_agent', 'host_ed25519'));
    const run = spawnSync(process.execPath, [BUNDLE, 'mcp', '--check', '--config', config], { env: host.env, encoding: 'utf8' });
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /^host web \(root@127\.0\.0\.1\): not reachable: .*(unreachable or refused the key).*Permission denied/);
  });

  it('MCP-013 a host that never answers does not hold the start: the others are served, with alias-prefixed names', async () => {
    const silent = createServer(() => {}).listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    const port = (silent.address() as { port: number }).port;
    const config = host.bridgeConfig();
    writeFileSync(config, `${readFileSync(config, 'utf8')}\n[hosts.silent]\nssh = "root@127.0.0.1"\nssh_options = ["Port=${port}", "StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null"]\n`);
    const started = Date.now();
    const both = await connectBridge(host, config);
    try {
      const { tools } = await both.client.listTools();
      assert.ok(Date.now() - started < 9000, `start took ${Date.now() - started} ms`);
      assert.ok(tools.some((t) => t.name === 'web_t_echo'), JSON.stringify(tools.map((t) => t.name)));
      assert.equal(tools.some((t) => t.name.startsWith('silent_')), false);
      assert.match(both.stderr(), /silent: no answer within 5 s; still asking/);
      const result = (await both.client.callTool({ name: 'web_t_echo', arguments: { msg: 'served' } })) as Json;
      assert.equal(result.structuredContent.stdout, 'served\n');
    } finally {
      await both.client.close();
      silent.close();
    }
  });

  it('mcp --check prints the tools host by host without starting the server', () => {
    const out = execFileSync(process.execPath, [BUNDLE, 'mcp', '--check', '--config', host.bridgeConfig()], { env: host.env, encoding: 'utf8' });
    assert.match(out, /^host web \(root@127\.0\.0\.1\): \d+ tools\n/);
    assert.match(out, /\n {2}t_echo {2}t echo \(read, read-only\)\n/);
  });
});

/** Ends the test sshd and every connection it serves: the host is gone, as when it crashes. */
function killSshdAndItsSessions(target: McpHost): void {
  // INVARIANT: the harness keeps its sshd's ChildProcess in `process` (testkit/sshd.ts).
  const listener = (target.sshd as unknown as { process: { pid: number } }).process.pid;
  const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(listener)], { encoding: 'utf8' }).split('\n').map((l) => Number(l.trim())).filter((n) => n > 0);
  for (const pid of [...children, listener]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}
