/**
 * A session is a long-lived process that allocates the same few kilobytes per request.
 * V8's defaults suit a short one: the young generation doubles up to 32 MiB as objects
 * survive scavenges, and the old generation may grow to about four times what is live
 * before a full collection. Over 10,000 `/bin/true` requests that was 34 MiB of RSS growth
 * with about 6 MiB live. These flags are read at each collection or tier-up decision, so
 * setting them when a session starts takes effect; they change heuristics only, never
 * what is kept (ADR 0037 and 0039, figures there).
 */
export function tuneHeapForLongRun(): void {
  const v8 = require('node:v8') as typeof import('node:v8');
  // The young generation keeps its start-up size.
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  // After a full collection, the old generation may grow by 10% of what survived.
  v8.setFlagsFromString('--heap-growing-percent=10');
  // No optimising compiler: its code and compile zones were 13 MiB of a session's RSS, for
  // no measurable gain on requests this small (ADR 0039). Baseline code (Sparkplug) stays.
  v8.setFlagsFromString('--no-turbofan');
}
