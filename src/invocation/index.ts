/** Invocation stage (CONTRACT §2): argv and environment in, what to do out. */
export { parseInvocation, type Invocation, type ServeOptions } from './parse-argv.js';

