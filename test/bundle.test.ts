import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { runProcess, BUNDLE } from '../testkit/sshd.js';
import { makeTempDir, serverTable, writeFileWithMode } from '../testkit/tmp.js';

/** The bundle's loader and payload (scripts/build.mjs, ADR 0012), read the way the loader reads them. */
function readBundle(): { text: string; buildId: string; source: string; cache: Buffer; cacheSpan: string } {
  const text = readFileSync(BUNDLE, 'latin1');
  const spans = [...text.matchAll(/part\((\[ *(\d+), *(\d+)\])\)/g)].map((m) => ({ literal: m[1] as string, start: Number(m[2]), end: Number(m[3]) }));
  const [id, cache, source] = spans;
  assert.ok(id && cache && source, 'the loader names its parts');
  return {
    text,
    buildId: text.slice(id.start, id.end),
    source: text.slice(source.start, source.end),
    cache: Buffer.from(text.slice(cache.start, cache.end), 'base64'),
    cacheSpan: cache.literal,
  };
}

function serveWith(bundle: string, nodeArgs: readonly string[] = [], env: NodeJS.ProcessEnv = {}): { dir: string; run: () => ReturnType<typeof runProcess> } {
  const dir = makeTempDir();
  const config = writeFileWithMode(
    join(dir, 'config.toml'),
    `${serverTable(dir)}[domains.app]\ndescription = "App"\n[domains.app.actions.hello]\ndescription = "Hello"\nlevel = "read"\nexec = ["/usr/bin/touch", "${dir}/ran"]\n`,
    0o600,
  );
  return {
    dir,
    run: () => runProcess(process.execPath, [...nodeArgs, bundle, '--config', config, '--level', 'read'], undefined, 30000, { PATH: '/usr/bin:/bin', SSH_ORIGINAL_COMMAND: 'app hello', ...env }),
  };
}

/** A copy of the bundle with `edit` applied; edits keep the length so the loader's offsets hold. */
function editedBundle(edit: (text: string) => string): string {
  const original = readFileSync(BUNDLE, 'latin1');
  const edited = edit(original);
  assert.equal(edited.length, original.length);
  const path = join(makeTempDir(), 'portcullis.js');
  writeFileSync(path, edited, { encoding: 'latin1', mode: 0o755 });
  return path;
}

describe('the bundle (ADR 0012)', () => {
  it('reads its own file once, through Node: the payload is a slice of that read (ADR 0041)', async () => {
    // Records every fs call that names the bundle, whoever makes it (Node's loader included).
    const probe = join(makeTempDir(), 'probe.cjs');
    writeFileSync(probe, `const fs = require('node:fs');
const seen = [];
for (const name of ['openSync', 'readFileSync', 'open', 'readFile', 'createReadStream']) {
  const original = fs[name];
  fs[name] = function (path, ...rest) { if (String(path) === process.env.BUNDLE_PATH) seen.push(name); return original.call(this, path, ...rest); };
}
process.on('exit', () => fs.writeSync(2, 'bundle-reads=' + JSON.stringify(seen) + '\\n'));
`);
    const { dir, run } = serveWith(BUNDLE, ['--require', probe], { BUNDLE_PATH: BUNDLE });
    const result = await run();
    assert.equal(result.json?.ok, true, result.stderr);
    assert.ok(existsSync(join(dir, 'ran')));
    assert.deepEqual(JSON.parse(/bundle-reads=(.*)/.exec(result.stderr)?.[1] ?? 'null'), ['readFileSync'], 'only Node\'s own loader reads the bundle');
  });

  it('carries a code cache that this Node accepts for its serve path', () => {
    const { source, cache } = readBundle();
    const script = new Script(source, { cachedData: cache });
    assert.equal(script.cachedDataRejected, false, 'V8 rejected the cache: a call would compile everything');
  });

  it('serves the same without its code cache, as under another Node version', async () => {
    const { cacheSpan } = readBundle();
    const expression = `Buffer.from(part(${cacheSpan}), "base64")`;
    const bundle = editedBundle((text) => text.replace(expression, 'undefined'.padEnd(expression.length)));
    const { dir, run } = serveWith(bundle);
    const result = await run();
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.json?.ok, true);
    assert.ok(existsSync(join(dir, 'ran')));
  });

  it('refuses a payload that is not the one its loader was built with: service_unavailable, nothing runs', async () => {
    const { buildId } = readBundle();
    const other = [...buildId].map((c) => (c === '0' ? '1' : '0')).join('');
    const bundle = editedBundle((text) => {
      const at = text.lastIndexOf(`\n${buildId}\n`);
      assert.ok(at > 0, 'the payload starts with the build id');
      return `${text.slice(0, at + 1)}${other}${text.slice(at + 1 + buildId.length)}`;
    });
    const { dir, run } = serveWith(bundle);
    const result = await run();
    assert.equal(result.status, 129);
    assert.equal(result.json?.error?.code, 'service_unavailable');
    assert.match(result.stderr, /^portcullis: service_unavailable: /);
    assert.ok(!existsSync(join(dir, 'ran')), 'the action ran');
    assert.ok(!existsSync(join(dir, 'audit.jsonl')), 'the loader got as far as the audit log');
  });

  it('refuses a payload whose length is not the one its loader was built with', async () => {
    const bundle = editedBundle((text) => text.replace(/self\.length !== +(\d+)/, (match, size: string) => match.replace(size, String(Number(size) + 1))));
    const { dir, run } = serveWith(bundle);
    const result = await run();
    assert.equal(result.status, 129);
    assert.equal(result.json?.error?.code, 'service_unavailable');
    assert.ok(!existsSync(join(dir, 'ran')), 'the action ran');
  });

  for (const [what, replacement] of [
    ['throws', '() => { throw new Error("no source for you"); }'],
    ['returns no string', '() => 42'],
  ] as const) {
    it(`answers service_unavailable, with no stack trace, when Function.prototype.toString ${what} (ADR 0041)`, async () => {
      const probe = join(makeTempDir(), 'probe.cjs');
      writeFileSync(probe, `Function.prototype.toString = ${replacement};\n`);
      const { dir, run } = serveWith(BUNDLE, ['--require', probe]);
      const result = await run();
      assert.equal(result.status, 129);
      assert.equal(result.json?.error?.code, 'service_unavailable');
      assert.match(result.stderr, /^portcullis: service_unavailable: [^\n]*\n$/, 'one line, no stack trace');
      assert.ok(!existsSync(join(dir, 'ran')), 'the action ran');
    });
  }

  it('answers service_unavailable, with no stack trace, when its serve path does not compile', async () => {
    const { text, cacheSpan } = readBundle();
    const source = /Script\)\(part\((\[ *(\d+), *(\d+)\])\)/.exec(text);
    assert.ok(source, 'the loader compiles its source');
    const [start, end] = [Number(source[2]), Number(source[3])];
    const broken = '(function () { this is not JavaScript';
    const expression = `Buffer.from(part(${cacheSpan}), "base64")`;
    const bundle = editedBundle((original) => {
      // Without the cache, so that V8 has to parse the source.
      const withoutCache = original.replace(expression, 'undefined'.padEnd(expression.length));
      return `${withoutCache.slice(0, start)}${broken.padEnd(end - start, ' ')}${withoutCache.slice(end)}`;
    });
    const { dir, run } = serveWith(bundle);
    const result = await run();
    assert.equal(result.status, 129);
    assert.equal(result.json?.error?.code, 'service_unavailable');
    assert.match(result.stderr, /^portcullis: service_unavailable: [^\n]*\n$/, 'one line, no stack trace');
    assert.ok(!existsSync(join(dir, 'ran')), 'the action ran');
  });
});

