import type { ForcedLine, ServeOptions } from './parse-argv.js';

export type ForcedLineVerdict =
  | { readonly ok: true; readonly options: ServeOptions }
  | { readonly ok: false; readonly detail: string; readonly diagnostic: boolean };

export const UNTRUSTED_FORCED_LINE = 'forced line holds options but server.forced_line is not true';

/**
 * The options a request is served at, once the config named before `-c` is loaded
 * (docs/protocol.md §2.1 forced-line trust, ADR 0014). `trusted` is that config's
 * `server.forced_line`: without it, a `-c` line with options beside SSH_ORIGINAL_COMMAND
 * may be a client's own text, so it is refused and none of it applies, --diagnostic
 * included. With it, the line's options win, and its --diagnostic counts even when
 * another of its options is bad.
 */
export function applyForcedLine(base: ServeOptions, line: ForcedLine | null, trusted: boolean): ForcedLineVerdict {
  if (line === null) return { ok: true, options: base };
  if (!trusted) return { ok: false, detail: UNTRUSTED_FORCED_LINE, diagnostic: base.diagnostic };
  if (line.options === null) return { ok: false, detail: `options: forced line: ${line.error ?? 'bad option'}`, diagnostic: base.diagnostic || line.diagnostic };
  return { ok: true, options: line.options };
}
