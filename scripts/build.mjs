#!/usr/bin/env node
// Builds the one-file bundle dist/portcullis.js; with --tests, also type-checks and
// compiles every TypeScript file (src, tests, e2e, fuzz, bench, scripts) into build/.
//
// The bundle holds three parts (ADR 0009, ADR 0012):
// - the hot serve path, as a source string compiled through node:vm;
// - a V8 code cache of that source, made here by serving one real request, so that a
//   one-shot call deserializes its functions instead of compiling them;
// - the cold part (TOML parser, zod, full config validation, check) as a compressed string
//   that src/cold-loader.ts compiles only when needed;
// - the MCP bridge (`portcullis mcp`, with the MCP SDK) as another compressed string that
//   src/bridge-loader.ts compiles only for that command (ADR 0034).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { brotliCompressSync, constants as zlib } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FORMAT_KEY_FILE, formatKey, formatKeySource } from './format-key.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'portcullis.js');
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', legalComments: 'none', logLevel: 'warning', minify: !process.argv.includes('--no-minify') };

// The compiled config's format key follows its sources (ADR 0019); commit the file when it changes.
const formatKeyPath = join(root, FORMAT_KEY_FILE);
const formatKeyText = formatKeySource(formatKey(root));
let formatKeyWritten = '';
try {
  formatKeyWritten = readFileSync(formatKeyPath, 'utf8');
} catch {}
if (formatKeyWritten !== formatKeyText) {
  writeFileSync(formatKeyPath, formatKeyText);
  console.error(`build: ${FORMAT_KEY_FILE} updated (the compiled config format changed): commit it`);
}

const cold = await build({ ...common, entryPoints: [join(root, 'src', 'cold.ts')], write: false });
// Compressed: the bundle is read and scanned on every call, the chunk only when needed.
const coldChunk = brotliCompressSync(cold.outputFiles[0].contents, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }).toString('base64');

// The SDK's `require("zod/v4")` and our bridge code's `import 'zod'` would otherwise bundle
// zod's CommonJS and ESM builds side by side: two copies (560 KB) of one library.
const oneZod = {
  name: 'one-zod',
  setup(b) {
    b.onResolve({ filter: /^zod(\/.*)?$/ }, async (args) => {
      if (args.pluginData === 'one-zod') return undefined;
      const { errors, warnings, path, namespace, sideEffects, suffix } = await b.resolve(args.path, { kind: 'import-statement', importer: args.importer, resolveDir: args.resolveDir, pluginData: 'one-zod' });
      return errors.length > 0 ? { errors, warnings } : { path, namespace, sideEffects, suffix, warnings };
    });
  },
};
const bridge = await build({ ...common, entryPoints: [join(root, 'src', 'bridge', 'index.ts')], write: false, plugins: [oneZod] });
const bridgeChunk = brotliCompressSync(bridge.outputFiles[0].contents, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }).toString('base64');

const keepColdOut = {
  name: 'keep-cold-chunk-out',
  setup(b) {
    b.onResolve({ filter: /^\.\/(cold|bridge\/index)\.js$/ }, (args) => ({ path: args.path, external: true }));
  },
};

const hot = await build({
  ...common,
  entryPoints: [join(root, 'src', 'main.ts')],
  write: false,
  // The cold chunk reaches the hot code as a parameter of its wrapper (below).
  define: { PORTCULLIS_COLD_CHUNK: 'portcullisColdChunk', PORTCULLIS_BRIDGE_CHUNK: 'portcullisBridgeChunk' },
  plugins: [keepColdOut],
});
const hotSource = `(function (exports, require, module, __filename, __dirname, portcullisColdChunk, portcullisBridgeChunk) {${hot.outputFiles[0].text}\n})`;

const SERVICE_UNAVAILABLE = '{"v":1,"request_id":null,"ok":false,"error":{"code":"service_unavailable","message":"service unavailable"}}';

/**
 * The bundle: a short loader, then its payload in one block comment, which V8 skims at a
 * fraction of the cost of string literals (ADR 0012). The comment is the body of a function,
 * payload(), whose text V8 hands back with toString(): a slice of the source Node already
 * read to run the file, so the payload is neither read nor copied a second time, and it
 * cannot come from another version of the file (ADR 0041). The loader checks the payload's
 * length and build id against its own, then compiles the hot source with its code cache.
 * The cold and bridge chunks are decoded only when a cold path asks for them. The file is
 * ASCII throughout (a non-ASCII byte would make Node hold the whole file as UTF-16): the
 * hot source as esbuild wrote it (which must then never hold a "*" followed by "/"), the
 * cache and the chunks in base64.
 */
function assemble(cache) {
  if (!/^[\x00-\x7f]*$/.test(hotSource)) throw new Error('the hot source must be ASCII (esbuild charset)');
  if (hotSource.includes('*/')) throw new Error('the hot source holds "*/", which would end the payload comment: write that regex or string another way');
  const payload = [hotSource, cache === null ? '' : cache.toString('base64'), coldChunk, bridgeChunk];
  const buildId = createHash('sha256').update(payload.join('\n')).digest('hex').slice(0, 24);
  const parts = [buildId, ...payload];
  const failure = (why) => JSON.stringify(`portcullis: service_unavailable: ${why}\n`);
  const opening = 'function payload() {/*\n';
  const closing = '*/}\n';
  const loader = (at, base, length) => `#!/usr/bin/env node
"use strict";
// Portcullis, built by scripts/build.mjs. The serve path is in the comment below, with a V8
// code cache made at build time so that a one-shot call does not compile it (ADR 0012).
// The payload is the body of payload() at the end: its text comes from the one read Node
// made to run this file, as a slice of it, never from a second read (ADR 0041).
let self = "";
try { self = payload.toString(); } catch {}
const part = (at) => self.slice(at[0] - ${base}, at[1] - ${base});
const unavailable = (line) => {
  try { require("node:fs").writeSync(1, ${JSON.stringify(`${SERVICE_UNAVAILABLE}\n`)}); } catch {}
  try { require("node:fs").writeSync(2, line); } catch {}
  process.exit(129);
};
if (typeof self !== "string" || self.length !== ${length} || part(${at(0)}) !== "${buildId}") unavailable(${failure('the payload is not the one this loader was built with')});
let serve;
try {
  const cachedData = ${cache === null ? 'undefined' : `Buffer.from(part(${at(2)}), "base64")`};
  serve = new (require("node:vm").Script)(part(${at(1)}), { filename: __filename, cachedData }).runInThisContext();
  serve(exports, require, module, __filename, __dirname, () => part(${at(3)}), () => part(${at(4)}));
} catch {
  unavailable(${failure('the bundle cannot be loaded')});
}
${opening}`;
  // Offsets and lengths are padded to a fixed width, so writing them does not move the payload.
  const pad = (n) => String(n).padStart(8);
  const span = (start, end) => `[${pad(start)}, ${pad(end)}]`;
  let offset = Buffer.byteLength(loader(() => span(0, 0), pad(0), pad(0)));
  const base = offset - opening.length;
  const offsets = [];
  for (const text of parts) {
    offsets.push(offset, offset + text.length);
    offset += text.length + 1;
  }
  // payload.toString() runs from "function" to the closing brace.
  const length = offset + closing.length - 1 - base;
  const head = loader((i) => span(offsets[2 * i], offsets[2 * i + 1]), pad(base), pad(length));
  if (Buffer.byteLength(head) !== offsets[0]) throw new Error('bundle layout: the loader changed length');
  const bundleText = `${head}${parts.join('\n')}\n${closing}`;
  // ASCII throughout, so the loader's string offsets are byte offsets.
  if (bundleText.length !== offset + closing.length || !/^[\x00-\x7f]*$/.test(bundleText)) throw new Error('bundle layout: not ASCII or the size is wrong');
  if (bundleText.indexOf(opening) !== base) throw new Error('bundle layout: the payload function is not where the offsets say');
  return bundleText;
}

/**
 * Serves one real request (a compiled 5-action config, an action with arguments) with the
 * hot source and returns V8's code cache of every function that request compiled.
 */
function trainCodeCache() {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-build-'));
  try {
    const plain = join(dir, 'portcullis.js');
    writeFileSync(plain, assemble(null), { mode: 0o755 });
    const config = join(dir, 'train.toml');
    let toml = `[server]\naudit_log = "${dir}/audit.jsonl"\n\n[domains.app]\ndescription = "Training"\n`;
    for (let i = 0; i < 5; i++) {
      toml += `\n[domains.app.actions.a${i}]\ndescription = "Action ${i}"\nlevel = "read"\nexec = ["/bin/echo", "{n}", "{name}"]\n`;
      toml += `[domains.app.actions.a${i}.args.n]\ntype = "int"\nmin = 0\nmax = 9\ndefault = 1\n`;
      toml += `[domains.app.actions.a${i}.args.name]\ntype = "string"\npattern = "[a-z]+"\ndefault = "x"\n`;
    }
    writeFileSync(config, toml, { mode: 0o644 });
    execFileSync(process.execPath, [plain, 'check', '--config', config, '--compile'], { stdio: 'ignore' });
    const sourcePath = join(dir, 'hot.js');
    const cachePath = join(dir, 'hot.cache');
    writeFileSync(sourcePath, hotSource);
    const trainer = join(dir, 'train.cjs');
    writeFileSync(
      trainer,
      `const { readFileSync, writeFileSync } = require('node:fs');
const script = new (require('node:vm').Script)(readFileSync(${JSON.stringify(sourcePath)}, 'utf8'), { filename: ${JSON.stringify(plain)} });
process.on('exit', () => writeFileSync(${JSON.stringify(cachePath)}, script.createCachedData()));
script.runInThisContext()(exports, require, module, ${JSON.stringify(plain)}, ${JSON.stringify(dir)}, () => { throw new Error('the cold path is not trained'); }, () => { throw new Error('the bridge is not trained'); });
`,
    );
    const env = { PATH: '/usr/bin:/bin', SSH_ORIGINAL_COMMAND: 'app a1 n=3 name=abc', SSH_CLIENT: '192.0.2.1 50000 22', SSH_CONNECTION: '192.0.2.1 50000 192.0.2.2 22' };
    const answer = execFileSync(process.execPath, [trainer, '--config', config, '--level', 'read'], { env, encoding: 'utf8' });
    if (!answer.includes('"ok":true')) throw new Error(`training request failed: ${answer}`);
    const cache = readFileSync(cachePath);
    // V8 rejects a cache made for another source, V8 version or flag set; fail here, not
    // silently slow at every call.
    const check = `const s = new (require('node:vm').Script)(require('node:fs').readFileSync(${JSON.stringify(sourcePath)}, 'utf8'), { cachedData: require('node:fs').readFileSync(${JSON.stringify(cachePath)}) }); process.exit(s.cachedDataRejected ? 1 : 0);`;
    execFileSync(process.execPath, ['-e', check], { stdio: 'inherit' });
    return cache;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

mkdirSync(dirname(bundle), { recursive: true });
writeFileSync(bundle, assemble(trainCodeCache()));
chmodSync(bundle, 0o755);

if (process.argv.includes('--tests')) {
  rmSync(join(root, 'build'), { recursive: true, force: true });
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], {
    stdio: 'inherit',
  });
}
