/**
 * The full configuration loader: TOML, the zod schema and the cross-field rules. Cold code:
 * the serve path reaches it only when no valid compiled form exists (ADR 0009).
 */
export { loadConfig, loadConfigBytes } from './load.js';
export { writeCompiledConfig } from './compiled.js';
export { formatPath, schemaProblems, tomlProblem } from './_messages.js';
