import { accessSync, constants, statSync } from 'node:fs';
import { errorCode } from '../errors.js';

/**
 * How an action is started (docs/protocol.md §7.1, ADR 0017): `/bin/sh` leads the new process group,
 * forks a guard into that group, then execs the action in its own place (same pid, so the
 * exit status and signals are the action's own). The guard ignores the stop signals and
 * blocks on descriptor 3, whose other end only Portcullis holds and never writes to: if
 * Portcullis dies, however, the read returns and the guard kills the group. The guard exists
 * before the action's first instruction, so there is no window without a bound. When the
 * action ends, Portcullis kills its group anyway, guard included, so a reused group id is
 * never hit. dash exports PWD on exec; it is removed unless the configuration sets it, and
 * bash's SHLVL and `_` are removed through env(1) when /bin/sh is bash.
 */
const SCRIPT = [
  `{ trap '' HUP INT TERM; read -r _ <&3; kill -s KILL -- "-$$"; } </dev/null >/dev/null 2>&1 &`,
  'exec 3<&-',
  '[ "$1" = keep-pwd ] || unset PWD',
  'shift',
  // Where /bin/sh is bash (Fedora, Arch), it exports SHLVL and `_` to what it execs.
  '[ -z "${BASH_VERSION-}" ] || exec /usr/bin/env -u SHLVL -u _ -- "$@"',
  'exec "$@"',
].join('\n');

export const LAUNCHER = '/bin/sh';

/** argv for `/bin/sh` (or another POSIX shell) that runs `file args…` under the guard. */
export function launcherArgs(file: string, args: readonly string[], env: Readonly<Record<string, string>>): string[] {
  return ['-c', SCRIPT, 'portcullis-action', 'PWD' in env ? 'keep-pwd' : 'unset-pwd', file, ...args];
}

/**
 * What spawn would have said about a program that cannot be executed: through the launcher,
 * a failed exec is only the shell's exit status 126/127, and the answer must stay
 * `exec_failed` (docs/protocol.md §7.4). Null when the file is an executable regular file.
 */
export function notExecutable(file: string): string | null {
  try {
    if (!statSync(file).isFile()) return `spawn ${file} EACCES (not a regular file)`;
    accessSync(file, constants.X_OK);
    return null;
  } catch (error) {
    return `spawn ${file} ${errorCode(error)}`;
  }
}
