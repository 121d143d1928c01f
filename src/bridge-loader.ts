import { unpackChunk } from './chunk.js';

/** The bridge chunk (brotli, base64), passed in by the bundle's wrapper (scripts/build.mjs); absent in tests. */
declare const PORTCULLIS_BRIDGE_CHUNK: (() => string) | undefined;

type BridgeModule = typeof import('./bridge/index.js');

/**
 * Loads the MCP bridge (`portcullis mcp`, ADR 0034): in the bundle a compressed chunk of its
 * own, compiled only here, so that neither the serve path nor the operator's cold chunk
 * carries the MCP SDK; in the test build an ordinary module.
 */
export function loadBridge(): BridgeModule {
  if (typeof PORTCULLIS_BRIDGE_CHUNK === 'function') return unpackChunk<BridgeModule>(PORTCULLIS_BRIDGE_CHUNK, 'portcullis-bridge.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./bridge/index.js') as BridgeModule;
}
