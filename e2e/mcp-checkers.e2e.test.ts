import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { BUNDLE } from '../testkit/sshd.js';
import { startMcpHost, type McpHost } from '../testkit/mcp-bridge.js';

// The official MCP checkers (docs/mcp.md "Checked by"): the Inspector CLI in --strict mode
// over stdio, and the conformance suite over HTTP. They need Node >= 22.19, which the suite
// does not: `npm run mcp:checkers` installs both with a Node 22 from npm into a temporary
// directory and runs this file with MCP_CHECKERS_DIR set; without it, it is skipped.
const CHECKERS = process.env.MCP_CHECKERS_DIR;
const skip = CHECKERS === undefined ? 'MCP_CHECKERS_DIR is not set (npm run mcp:checkers)' : false;

let host: McpHost;
const node22 = (): string => join(CHECKERS as string, 'node_modules', `node-linux-${process.arch}`, 'bin', 'node');
const bin = (name: string): string => join(CHECKERS as string, 'node_modules', '.bin', name);
const checkerEnv = (): Record<string, string> => ({ PATH: `${dirname(node22())}:/usr/bin:/bin`, HOME: host.dir });

describe('the official MCP checkers against portcullis mcp', { skip }, () => {
  before(async () => {
    host = await startMcpHost();
  });
  after(async () => {
    await host?.stop();
  });

  it('MCP Inspector CLI --strict: tools/list has no schema portability problem', () => {
    const args = [bin('inspector'), '--cli', '--strict', '--method', 'tools/list', '-e', `PATH=${host.env.PATH}`, '-e', `HOME=${host.dir}`, '--', process.execPath, BUNDLE, 'mcp', '--config', host.bridgeConfig()];
    const run = spawnSync(node22(), args, { encoding: 'utf8', env: checkerEnv(), timeout: 120000 });
    assert.equal(run.status, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /Warning|Error/, run.stderr);
    const tools = (JSON.parse(run.stdout) as { tools: Array<{ name: string }> }).tools.map((t) => t.name);
    assert.ok(tools.includes('t_echo'), run.stdout.slice(0, 500));
  });

  it('conformance suite over HTTP: server-initialize, ping and tools-list pass; the rest is in the baseline', async () => {
    const portFile = join(host.dir, 'http-port');
    const entry: ChildProcess = spawn(process.execPath, [resolve(__dirname, '..', 'testkit', 'mcp-http-entry.js'), host.bridgeConfig(), portFile], { env: host.env, stdio: ['ignore', 'ignore', 'inherit'] });
    try {
      for (let i = 0; i < 300 && !existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 100));
      const url = `http://127.0.0.1:${readFileSync(portFile, 'utf8')}/mcp`;
      const baseline = resolve(__dirname, '..', '..', 'e2e', 'mcp-conformance-baseline.yml');
      const run = spawnSync(node22(), [bin('conformance'), 'server', '--url', url, '--expected-failures', baseline, '-o', join(host.dir, 'results')], { encoding: 'utf8', env: checkerEnv(), timeout: 300000 });
      const summary = run.stdout.replace(/\x1b\[[0-9;]*m/g, '');
      for (const scenario of ['server-initialize', 'ping', 'tools-list']) assert.match(summary, new RegExp(`✓ ${scenario}: [1-9]\\d* passed, 0 failed`), summary.slice(-3000));
      assert.equal(run.status, 0, `a scenario outside the baseline failed, or a baselined one now passes:\n${summary.slice(-3000)}`);
    } finally {
      entry.kill();
    }
  });
});
