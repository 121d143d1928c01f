/** Configuration stage (docs/config.md): the hot-path API. The full loader is in full.ts. */
export { compiledPathFor, resolveConfigPath } from './path.js';
export { compiledFormDefect, loadCompiledConfig, openCompiledConfig } from './compiled.js';
export { decisionDetail, withIgnoredCompiledForm } from './compiled-note.js';
export { PATTERN_MISMATCH, checkArgValue } from './arg-values.js';
export { checkSecureFile } from './_permissions.js';
export { readCapped } from './_read.js';
export { resolveSecret, stripOneNewline } from './_secrets.js';
export { BUILTIN_PLACEHOLDERS } from './_template.js';
export type * from './types.js';
