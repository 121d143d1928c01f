import type { AbortWatch } from './abort-watch.js';

/**
 * Whether a stop signal has come, after letting the event loop deliver one that arrived
 * during synchronous work (argument checks, config loading): Node runs signal handlers only
 * between tasks, so without this turn the action would start first and be killed after.
 */
export function abortedOnceSignalsDelivered(abort: AbortWatch): Promise<boolean> {
  return new Promise((resolve) => setImmediate(() => resolve(abort.aborted)));
}
