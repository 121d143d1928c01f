import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { VERSION } from '../src/version.js';
import { FORMAT_KEY } from '../src/config/_format-key.js';

const ROOT = resolve(__dirname, '..', '..');

describe('the release is stated once (ADR 0019)', () => {
  it('src/version.ts says the version package.json gives', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(VERSION, pkg.version);
  });

  it('the compiled form format key is the hash of the current config sources and release', () => {
    const script = `import { formatKey } from ${JSON.stringify(pathToFileURL(join(ROOT, 'scripts', 'format-key.mjs')).href)}; process.stdout.write(formatKey(${JSON.stringify(ROOT)}));`;
    const computed = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(computed.status, 0, computed.stderr);
    assert.equal(FORMAT_KEY, computed.stdout, 'src/config/_format-key.ts is stale: run node scripts/build.mjs and commit it');
  });
});
