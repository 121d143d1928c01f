import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { compiledFormDefect, compiledPathFor, loadCompiledConfig, readCapped, type Config } from './index.js';
import { domainDefect, headerDefect } from './_compiled-shape.js';
import { loadConfig, writeCompiledConfig } from './full.js';
import { makeAttackHost } from '../../testkit/attack-config.js';
import { serveOnce } from '../../testkit/serve-once.js';

function fullLoad(path: string): Config {
  const loaded = loadConfig(path);
  assert.ok(loaded.ok);
  return loaded.config;
}

function compile(path: string): void {
  const source = readCapped(path);
  assert.ok(!('error' in source));
  writeCompiledConfig(fullLoad(path), source);
}

/** A plain, comparable picture of a config: Maps as entries, RegExps as their source. */
function picture(config: Config): unknown {
  return JSON.parse(
    JSON.stringify(
      { server: config.server, tokens: config.tokens, domains: config.domains },
      (_key, value: unknown) => {
        if (value instanceof RegExp) return value.source;
        if (value !== null && typeof value === 'object' && typeof (value as { entries?: unknown }).entries === 'function' && !Array.isArray(value)) {
          return [...(value as ReadonlyMap<string, unknown>).entries()];
        }
        return value;
      },
    ),
  );
}

describe('compiled config', () => {
  it('round-trips every field of a rich config exactly', () => {
    const host = makeAttackHost();
    compile(host.config);
    const compiled = loadCompiledConfig(host.config);
    assert.ok(compiled !== null);
    assert.deepEqual(picture(compiled), picture(fullLoad(host.config)));
    assert.equal(compiledFormDefect(host.config), null, 'every line of a rich config passes the structural check');
    assert.deepEqual(compiled.compiledFormIgnored, []);
  });

  it('never throws on a line of any shape: the structural check names a defect instead', () => {
    for (const line of [null, 0, 'x', [], {}, { name: 'app' }, { name: 'app', description: 'd', actions: [null] }, { name: 'app', description: 'd', actions: [{ args: [{ type: 'toString' }] }] }]) {
      assert.equal(typeof domainDefect(line, 'app'), 'string', JSON.stringify(line));
      assert.equal(typeof headerDefect(line), 'string', JSON.stringify(line));
    }
  });

  it('is used when current: the serve path answers from it (control for CFG-021..024)', async () => {
    const host = makeAttackHost();
    compile(host.config);
    const compiledPath = compiledPathFor(host.config);
    writeFileSync(compiledPath, readFileSync(compiledPath, 'utf8').replaceAll('status ok', 'from the compiled form'));
    const result = await serveOnce(host.config, 'app status');
    assert.equal(result.json?.stdout, 'from the compiled form\n');
  });

  it('is refused when missing, stale or of another format', () => {
    const host = makeAttackHost();
    assert.equal(loadCompiledConfig(host.config), null);
    compile(host.config);
    assert.notEqual(loadCompiledConfig(host.config), null);
    const compiledPath = compiledPathFor(host.config);
    const text = readFileSync(compiledPath, 'utf8');
    writeFileSync(compiledPath, text.replace('portcullis-compiled-config/', 'portcullis-compiled-config/0'));
    assert.equal(loadCompiledConfig(host.config), null);
    writeFileSync(compiledPath, '{not json');
    assert.equal(loadCompiledConfig(host.config), null);
    writeFileSync(compiledPath, text);
    writeFileSync(host.config, `${readFileSync(host.config, 'utf8')}\n# edited\n`);
    assert.equal(loadCompiledConfig(host.config), null);
  });

  it('is refused when it holds fewer or more domain lines than its header names', () => {
    const host = makeAttackHost();
    compile(host.config);
    const compiledPath = compiledPathFor(host.config);
    const lines = readFileSync(compiledPath, 'utf8').split('\n');
    assert.equal(lines.at(-1), '', 'every line ends with a newline');
    writeFileSync(compiledPath, `${lines.slice(0, -2).join('\n')}\n`);
    assert.equal(loadCompiledConfig(host.config), null, 'a domain line is missing');
    writeFileSync(compiledPath, `${lines.join('\n')}{}\n`);
    assert.equal(loadCompiledConfig(host.config), null, 'an extra line');
    writeFileSync(compiledPath, lines.join('\n').slice(0, -1));
    assert.equal(loadCompiledConfig(host.config), null, 'the last line is cut');
    writeFileSync(compiledPath, lines.join('\n'));
    assert.notEqual(loadCompiledConfig(host.config), null, 'control: the untouched file is used');
  });

  it('compiles patterns with the u flag on load', () => {
    const host = makeAttackHost();
    compile(host.config);
    const spec = loadCompiledConfig(host.config)?.domains.get('app')?.actions.get('host')?.args.get('name');
    assert.ok(spec?.type === 'string' && spec.pattern?.source === '[a-z0-9.-]+' && spec.pattern.test('a.b') && !spec.pattern.test('a b'));
  });

  for (const mode of [0o600, 0o640, 0o400]) {
    it(`is readable by exactly those who can read the config (config mode ${mode.toString(8)})`, () => {
      const host = makeAttackHost();
      chmodSync(host.config, mode);
      compile(host.config);
      const compiled = statSync(compiledPathFor(host.config));
      assert.equal(compiled.mode & 0o777, mode);
      assert.equal(compiled.uid, statSync(host.config).uid);
    });
  }
});
