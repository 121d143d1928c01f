import { spawn } from 'node:child_process';
import { BUNDLE, parseSingleJsonLine, type SshResult } from './sshd.js';

/**
 * Runs the built bundle locally as sshd would in form A (request in SSH_ORIGINAL_COMMAND),
 * with a clean environment plus `env`.
 */
export function runBundle(args: readonly string[], env: Record<string, string>, stdin?: Buffer | string): Promise<SshResult> {
  return new Promise((resolve) => {
    const child = spawn(BUNDLE, args, {
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...env },
      stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    if (stdin !== undefined) {
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(stdin);
    }
    child.on('close', (status) => {
      const stdout = Buffer.concat(out).toString('utf8');
      resolve({ status, stdout, stderr: Buffer.concat(err).toString('utf8'), json: parseSingleJsonLine(stdout) });
    });
  });
}
