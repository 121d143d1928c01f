export interface CheckArgs {
  readonly configOption?: string;
  readonly json: boolean;
  readonly compile: boolean;
  /** The account whose sshd settings count (`Match User`); default the running user. */
  readonly account?: string;
  readonly sshdConfig?: string;
  /** `--keys FILE`: lint an authorized_keys or principals file instead (check-keys.ts). */
  readonly keys?: string;
}

export const CHECK_USAGE = 'usage: portcullis check [--config PATH] [--json] [--compile] [--account NAME] [--sshd-config FILE] | check --keys FILE [--config PATH] [--json] [--account NAME]';

export const CHECK_HELP = `${CHECK_USAGE}

Validates the configuration as a real request would load it, and more: programs, audit
log, state directory, sshd's settings for the account (--account, --sshd-config).
--compile also writes the compiled form that requests are served from.

--keys FILE lints an authorized_keys or AuthorizedPrincipalsFile against the configuration:
options as sshd reads them, restrict, from=, each command= through the serve-option parser,
and a table of the identity, level, tags and visible actions of every key or principal.

--json prints one JSON object. Exit 0 when valid, 129 when not, 2 on a usage error.
`;

// A user name as useradd accepts it; anything else could smuggle `,host=` into `sshd -C`.
const ACCOUNT_NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,31}\$?$/;

/** `check`'s own options (docs/config.md "portcullis check"), `--opt value` and `--opt=value` alike. */
export function parseCheckArgs(args: readonly string[]): CheckArgs | { error: string } | { help: true } {
  const values: Record<string, string> = Object.create(null) as Record<string, string>;
  let json = false;
  let compile = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string; // INVARIANT: i < args.length.
    if (arg === '--help' || arg === '-h') return { help: true };
    if (arg === '--json') json = true;
    else if (arg === '--compile') compile = true;
    else {
      const match = /^--(config|account|sshd-config|keys)(?:=(.*))?$/s.exec(arg);
      const value = match?.[2] ?? args[i + 1];
      if (match === null) return { error: `unknown argument ${JSON.stringify(arg.slice(0, 64))}` };
      if (value === undefined) return { error: `${arg} needs a value` };
      if (match[2] === undefined) i += 1;
      if ((match[1] as string) in values) return { error: `--${match[1] as string} is given twice` };
      values[match[1] as string] = value; // INVARIANT: the group always matches.
    }
  }
  const account = values.account;
  if (account !== undefined && !ACCOUNT_NAME.test(account)) return { error: `--account ${JSON.stringify(account)} is not a user name` };
  if (values.keys !== undefined && (compile || values['sshd-config'] !== undefined)) return { error: '--keys does not combine with --compile or --sshd-config' };
  return {
    json,
    compile,
    ...(values.config !== undefined ? { configOption: values.config } : {}),
    ...(account !== undefined ? { account } : {}),
    ...(values['sshd-config'] !== undefined ? { sshdConfig: values['sshd-config'] } : {}),
    ...(values.keys !== undefined ? { keys: values.keys } : {}),
  };
}
