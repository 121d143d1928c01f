#!/usr/bin/env node
// Builds the one-file bundle dist/portcullis.js; with --tests, also type-checks and
// compiles every TypeScript file (src, tests, e2e, fuzz, bench, scripts) into build/.
//
// The bundle holds two parts (ADR 0009): the hot serve path as ordinary code, and the cold
// part (TOML parser, zod, full config validation, check) as a compressed string that src/cold-loader.ts
// compiles only when needed, so that V8 never parses zod for a request served from a
// compiled config.
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';
import { brotliCompressSync, constants as zlib } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'portcullis.js');
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', legalComments: 'none', logLevel: 'warning', minify: !process.argv.includes('--no-minify') };

const cold = await build({ ...common, entryPoints: [join(root, 'src', 'cold.ts')], write: false });
// Compressed: the bundle is read and scanned on every call, the chunk only when needed.
const coldChunk = brotliCompressSync(cold.outputFiles[0].contents, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }).toString('base64');

const keepColdOut = {
  name: 'keep-cold-chunk-out',
  setup(b) {
    b.onResolve({ filter: /^\.\/cold\.js$/ }, (args) => ({ path: args.path, external: true }));
  },
};

await build({
  ...common,
  entryPoints: [join(root, 'src', 'main.ts')],
  outfile: bundle,
  banner: { js: '#!/usr/bin/env node' },
  define: { PORTCULLIS_COLD_CHUNK: JSON.stringify(coldChunk) },
  plugins: [keepColdOut],
});
chmodSync(bundle, 0o755);

if (process.argv.includes('--tests')) {
  rmSync(join(root, 'build'), { recursive: true, force: true });
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], {
    stdio: 'inherit',
  });
}
