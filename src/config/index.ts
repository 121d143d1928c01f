/** Configuration stage (CONTRACT §4): file in, validated Config (Maps only) or problems out. */
export { DEFAULT_CONFIG_PATH, loadConfig, resolveConfigPath } from './load.js';
export { checkArgValue, checkRelativePath } from './arg-values.js';
export { checkSecureFile } from './_permissions.js';
export { stripOneNewline } from './_secrets.js';
export { BUILTIN_PLACEHOLDERS } from './_template.js';
export type * from './types.js';
