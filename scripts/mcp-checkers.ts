/**
 * `npm run mcp:checkers`: installs the official MCP checkers (the Inspector and the
 * conformance suite, pinned) with a Node 22 from npm into a temporary directory, runs
 * e2e/mcp-checkers.e2e.test.js with it, and removes the directory. They need Node >= 22.19,
 * which the rest of the suite does not, so they stay out of package.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const PINNED = [
  // What the npm package node@22.23.3 installs from its preinstall script, named directly
  // (npm may refuse to run install scripts).
  `node-${process.platform}-${process.arch}@22.23.3`,
  '@modelcontextprotocol/inspector@2.12.0',
  '@modelcontextprotocol/conformance@0.1.16',
];

const dir = mkdtempSync(join(tmpdir(), 'portcullis-mcp-checkers-'));
try {
  writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', dir, ...PINNED], { stdio: 'inherit' });
  if (install.status !== 0) throw new Error('npm install of the checkers failed');
  const test = spawnSync(process.execPath, ['--test', resolve(__dirname, '..', 'e2e', 'mcp-checkers.e2e.test.js')], { stdio: 'inherit', env: { ...process.env, MCP_CHECKERS_DIR: dir } });
  process.exitCode = test.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
