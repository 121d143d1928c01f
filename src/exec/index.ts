/** Execution stage (docs/protocol.md §7.1, §7.3): a plan in, how it ended out. */
export { runAction, type ExecOptions, type ExecOutcome, type ExecResult } from './run-action.js';
export type { ExecPlan } from './plan.js';
export { readBoundedStdin, type StdinResult } from './read-stdin.js';
export type { CapturedStream } from './_capture.js';
export { ProcessAbort, type AbortWatch } from './abort-watch.js';
export { abortedOnceSignalsDelivered } from './pending-signals.js';
export { clientPresence } from './client-presence.js';
export { checkStdinHash, stdinHashWithoutStdin } from './stdin-hash.js';
