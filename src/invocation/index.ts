/** Invocation stage (docs/protocol.md §2): argv and environment in, what to do out. */
export { parseInvocation, type ForcedLine, type Invocation, type ServeOptions } from './parse-argv.js';

export { applyForcedLine, UNTRUSTED_FORCED_LINE, type ForcedLineVerdict } from './forced-line.js';
