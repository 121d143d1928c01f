import { unpackChunk } from './chunk.js';

/** The cold chunk (brotli, base64), passed in by the bundle's wrapper (scripts/build.mjs); absent in tests. */
declare const PORTCULLIS_COLD_CHUNK: (() => string) | undefined;

type ColdModule = typeof import('./cold.js');
let cold: ColdModule | undefined;

/**
 * Loads the cold chunk on first use. In the bundle it is a string compiled here, so V8
 * never parses zod on the hot path; in the test build it is an ordinary module.
 */
export function loadCold(): ColdModule {
  if (cold !== undefined) return cold;
  if (typeof PORTCULLIS_COLD_CHUNK === 'function') {
    cold = unpackChunk<ColdModule>(PORTCULLIS_COLD_CHUNK, 'portcullis-cold.js');
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cold = require('./cold.js') as ColdModule;
  }
  return cold;
}
