/** Policy stage (docs/protocol.md §6, §4.5): who may run what, with which values, as which argv. */
export { authorize, isVisible, type Caller } from './authorize.js';
export { validateArgs, resolveUnderRoot, type ArgValues } from './validate-args.js';
export { planExecution, type PlanContext } from './plan.js';
export { HELP_OVERVIEW, describeCaller, describeVisible, listVisible, type DomainDescription } from './discovery.js';
export { teachGrammar } from './grammar-hints.js';
export { stdinTimeoutHint } from './hints.js';
