/**
 * Everything the one-shot serve path should not pay for: the TOML parser, zod, the
 * cross-field rules and the operator's commands (check, unlock, sign). The bundle embeds this as a separate chunk
 * that is compiled only when needed (see cold-loader.ts, ADR 0009).
 */
export { loadConfig, loadConfigBytes, writeCompiledConfig } from './config/full.js';
export { runCheck } from './cli/check.js';
export { runUnlock } from './cli/unlock.js';
export { runSign } from './cli/sign.js';
export { runVerifyAudit } from './cli/verify-audit.js';
export { runAudit } from './cli/audit-seal.js';
