/** Parsed options of `verify-audit` and `audit seal`: each value option at most once. */
export type AuditArgs = { readonly help: true } | { readonly values: ReadonlyMap<string, string>; readonly flags: ReadonlySet<string> };

/**
 * Reads `--name VALUE`, `--name=VALUE` and bare flags. Unknown, repeated or valueless options
 * are usage errors, never skipped.
 */
export function parseAuditArgs(args: readonly string[], valueOptions: readonly string[], flagOptions: readonly string[]): AuditArgs | { error: string } {
  if (args.includes('--help') || args.includes('-h')) return { help: true };
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string; // INVARIANT: i < args.length.
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (values.has(name) || flags.has(name)) return { error: `${name} given twice` };
    if (flagOptions.includes(name) && eq < 0) {
      flags.add(name);
      continue;
    }
    if (!valueOptions.includes(name)) return { error: `unknown argument ${JSON.stringify(arg.slice(0, 64))}` };
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || value === '') return { error: `${name} needs a value` };
    values.set(name, value);
  }
  return { values, flags };
}
