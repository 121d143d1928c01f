import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { HostConfig } from './config.js';

/** The bytes of ssh's own stderr kept to explain a failure (a refused key, an unknown host). */
const STDERR_KEEP = 4096;

/**
 * Runs the system `ssh` for one host, without a shell: `-T -o BatchMode=yes`, no connection
 * sharing, the host's `-o` options, `-o ConnectTimeout=10`, the destination, then `--` and the request. ssh reads options after the
 * destination too, so `--` keeps a request from ever being read as one.
 */
export function spawnSsh(host: HostConfig, command: string): SshProcess {
  // ssh keeps the first value it is given for an option: the host's own options come first,
  // so its ConnectTimeout, if any, wins over the default one here. Connection sharing comes
  // before them, off: stopping this ssh must close the connection, so that the server aborts
  // the action; a shared master connection would outlive it and the action would run on.
  const args = ['-T', '-o', 'BatchMode=yes', '-o', 'ControlMaster=no', '-o', 'ControlPath=none', ...host.sshOptions.flatMap((o) => ['-o', o]), '-o', 'ConnectTimeout=10', host.ssh, '--', command];
  const child = spawn('ssh', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  return new SshProcess(child);
}

/** One ssh child: its stdout as text, its stderr kept short, its end as a promise. */
export class SshProcess {
  private stderrText = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (this.stderrText.length < STDERR_KEEP) this.stderrText += chunk.slice(0, STDERR_KEEP - this.stderrText.length);
    });
    // A pipe closed under a write (the host went away) is reported by `exited`, not thrown.
    child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => {
      child.on('error', () => resolve({ code: null, signal: null }));
      child.on('close', (code, signal) => resolve({ code, signal }));
    });
  }

  /** ssh's own complaint, one line: what a person needs to fix the connection. */
  get complaint(): string {
    const lines = this.stderrText.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    return lines.at(-1)?.slice(0, 300) ?? '';
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
  }
}

/** Why a call never got its answer, as the agent reads it. */
export function connectionFailure(host: HostConfig, ssh: SshProcess, exit: { code: number | null }): string {
  const why = ssh.complaint;
  if (exit.code === 255) return `host ${host.alias} (${host.ssh}) is unreachable or refused the key${why === '' ? '' : `: ${why}`}`;
  return `the connection to host ${host.alias} ended without an answer${why === '' ? '' : `: ${why}`}`;
}
