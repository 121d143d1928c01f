import { canonicalAddress } from '../auth/address.js';
import { clearLockout } from '../auth/lockout-clear.js';
import type { CredentialKind, UnlockTarget } from '../auth/lockout-layout.js';
import { resolveConfigPath, type Config } from '../config/index.js';
import { loadConfig } from '../config/full.js';
import { isIdentifier } from '../request/index.js';

interface UnlockIO {
  readonly env: Readonly<Record<string, string | undefined>>;
  out(text: string): void;
  err(text: string): void;
}

const USAGE = 'usage: portcullis unlock [--config PATH] (--token NAME | --signer NAME | --address IP)';

const HELP = `${USAGE}

Clears a proof lockout: every failure counter of that credential, for all callers,
or of that client address. A name that is not configured clears the counter that all
unknown names share, for every caller. Exit 0 also when nothing was locked; 2 on a usage
error; 129 when the config or the state directory is unusable.
`;

type Parsed = { readonly help: true } | { readonly config: string | undefined; readonly what: 'token' | 'signer' | 'address'; readonly value: string };

/** `portcullis unlock` (docs/install.md "Lockouts"). */
export function runUnlock(args: readonly string[], io: UnlockIO): number {
  const parsed = parseUnlockArgs(args);
  if ('error' in parsed) {
    io.err(`portcullis unlock: ${parsed.error} (${USAGE})\n`);
    return 2;
  }
  if ('help' in parsed) {
    io.out(HELP);
    return 0;
  }
  const path = resolveConfigPath(parsed.config, io.env);
  const loaded = loadConfig(path);
  if (!loaded.ok) {
    for (const problem of loaded.errors) io.err(`portcullis unlock: ${path}: ${problem.path}: ${problem.message}\n`);
    return 129;
  }
  const { target, label } = targetOf(loaded.config, parsed.what, parsed.value);
  const result = clearLockout(loaded.config.server.stateDir, target);
  if ('error' in result) {
    io.err(`portcullis unlock: server.state_dir: ${result.error}\n`);
    return 129;
  }
  if (result.cleared === 0) io.out(`portcullis unlock: ${label}: no failure counters\n`);
  else if (target.kind === 'address') io.out(`portcullis unlock: ${label}: cleared\n`);
  else io.out(`portcullis unlock: ${label}: cleared the counters of ${result.cleared} caller${result.cleared === 1 ? '' : 's'}\n`);
  return 0;
}

function targetOf(config: Config, what: 'token' | 'signer' | 'address', value: string): { target: UnlockTarget; label: string } {
  if (what === 'address') {
    // INVARIANT: parseUnlockArgs admitted only addresses that have a canonical form.
    const address = canonicalAddress(value) as string;
    return { target: { kind: 'address', address }, label: `address ${address}` };
  }
  if (!configuredNames(config, what).has(value)) {
    // Its failures were counted with every other unknown name of the same caller.
    return { target: { kind: 'unknown-credential' }, label: `${what} ${value} is not configured; the shared counter of unknown names` };
  }
  return { target: { kind: 'credential', credential: what, name: value }, label: `${what} ${value}` };
}

/** Configured names of a kind: `[tokens.NAME]` or `[signers.NAME]` (docs/config.md). */
function configuredNames(config: Config, kind: CredentialKind): ReadonlyMap<string, unknown> {
  return kind === 'token' ? config.tokens : config.signers;
}

function parseUnlockArgs(args: readonly string[]): Parsed | { error: string } {
  if (args.includes('--help') || args.includes('-h')) return { help: true };
  const values: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string; // INVARIANT: i < args.length.
    const match = /^--(config|token|signer|address)(?:=(.*))?$/s.exec(arg);
    if (match === null) return { error: `unknown argument ${JSON.stringify(arg.slice(0, 64))}` };
    const name = match[1] as string; // INVARIANT: the group always matches.
    const value = match[2] ?? args[++i];
    if (value === undefined) return { error: `--${name} needs a value` };
    if (name in values) return { error: `--${name} is given twice` };
    values[name] = value;
  }
  const config = values.config;
  if (config !== undefined && !config.startsWith('/')) return { error: '--config needs an absolute path' };
  const given = (['token', 'signer', 'address'] as const).filter((what) => values[what] !== undefined);
  if (given.length !== 1) return { error: 'give exactly one of --token, --signer and --address' };
  const what = given[0] as 'token' | 'signer' | 'address'; // INVARIANT: given.length === 1.
  const value = values[what] as string;
  if (what === 'address' ? canonicalAddress(value) === null : !isIdentifier(value)) {
    return { error: `--${what} ${JSON.stringify(value.slice(0, 64))} is not ${what === 'address' ? 'an IP address' : 'a name'}` };
  }
  return { config, what, value };
}
