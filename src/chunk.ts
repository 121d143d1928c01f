/**
 * Compiles a chunk the bundle carries as brotli-compressed base64 text (scripts/build.mjs) and
 * returns its exports. The serve path never calls this: node:vm and node:zlib are loaded here,
 * on first use (ADR 0009).
 */
export function unpackChunk<T>(chunk: () => string, filename: string): T {
  const module = { exports: {} as T };
  const { runInThisContext } = require('node:vm') as typeof import('node:vm');
  const { brotliDecompressSync } = require('node:zlib') as typeof import('node:zlib');
  const source = brotliDecompressSync(Buffer.from(chunk(), 'base64')).toString('utf8');
  // `[function …][0]`, not `(function …)`: V8 compiles a parenthesised function eagerly,
  // which costs about 8 ms more for the cold chunk.
  const factory = runInThisContext(`[function (exports, require, module) {${source}\n}][0]`, { filename }) as (
    exports: unknown,
    require: NodeJS.Require,
    module: { exports: T },
  ) => void;
  factory(module.exports, require, module);
  return module.exports;
}
