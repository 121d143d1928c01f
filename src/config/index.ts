/** Configuration stage (CONTRACT §4): the hot-path API. The full loader is in full.ts. */
export { DEFAULT_CONFIG_PATH, compiledPathFor, resolveConfigPath } from './path.js';
export { loadCompiledConfig, sha256Hex } from './compiled.js';
export { checkArgValue, checkRelativePath } from './arg-values.js';
export { checkSecureFile } from './_permissions.js';
export { readCapped } from './_read.js';
export { resolveSecret, stripOneNewline } from './_secrets.js';
export { BUILTIN_PLACEHOLDERS } from './_template.js';
export type * from './types.js';
