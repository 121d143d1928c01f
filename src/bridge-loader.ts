/** The bridge chunk (brotli, base64), passed in by the bundle's wrapper (scripts/build.mjs); absent in tests. */
declare const PORTCULLIS_BRIDGE_CHUNK: (() => string) | undefined;

type BridgeModule = typeof import('./bridge/index.js');

/**
 * Loads the MCP bridge (`portcullis mcp`, ADR 0034): in the bundle a compressed chunk of its
 * own, compiled only here, so that neither the serve path nor the operator's cold chunk
 * carries the MCP SDK; in the test build an ordinary module.
 */
export function loadBridge(): BridgeModule {
  if (typeof PORTCULLIS_BRIDGE_CHUNK === 'function') {
    const module = { exports: {} as BridgeModule };
    // Required here, not at the top: only this path needs them.
    const { runInThisContext } = require('node:vm') as typeof import('node:vm');
    const { brotliDecompressSync } = require('node:zlib') as typeof import('node:zlib');
    const source = brotliDecompressSync(Buffer.from(PORTCULLIS_BRIDGE_CHUNK(), 'base64')).toString('utf8');
    const factory = runInThisContext(`[function (exports, require, module) {${source}\n}][0]`, { filename: 'portcullis-bridge.js' }) as (
      exports: unknown,
      require: NodeJS.Require,
      module: { exports: BridgeModule },
    ) => void;
    factory(module.exports, require, module);
    return module.exports;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./bridge/index.js') as BridgeModule;
}
