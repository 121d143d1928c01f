import { BUNDLE, runProcess, type SshResult } from './sshd.js';

/**
 * Runs the built bundle locally as sshd would in form A (request in SSH_ORIGINAL_COMMAND),
 * with a clean environment plus `env`.
 */
export function runBundle(args: readonly string[], env: Record<string, string>, stdin?: Buffer | string): Promise<SshResult> {
  return runProcess(BUNDLE, args, stdin, 60000, { PATH: '/usr/local/bin:/usr/bin:/bin', ...env });
}
