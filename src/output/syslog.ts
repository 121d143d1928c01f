import { nodeChildProcess } from '../builtins.js';

const LOGGER = '/usr/bin/logger';
const DEFAULT_SOCKET = '/dev/log';

/** Writes one line to syslog; built once per process by main.ts. */
export type SyslogWriter = (line: string) => void;

/**
 * Where syslog lines go: /dev/log, or PORTCULLIS_SYSLOG_SOCKET outside sshd only (a test's
 * own receiver), by the same rule as PORTCULLIS_CONFIG: no client variable can move the
 * operator's trace (ADR 0022).
 */
export function syslogSocket(env: Readonly<Record<string, string | undefined>>): string {
  const fromEnv = env.PORTCULLIS_SYSLOG_SOCKET;
  return env.SSH_CONNECTION === undefined && fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_SOCKET;
}

/**
 * A writer of auth.err lines tagged portcullis, for the failures the audit log cannot
 * record (docs/protocol.md §2.1). Best effort: a host without logger or without a syslog
 * daemon loses only this trace, never the refusal.
 */
export function syslogWriter(socket: string): SyslogWriter {
  return (line) => {
    const text = line.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 1000);
    try {
      nodeChildProcess().spawnSync(LOGGER, ['-u', socket, '-p', 'auth.err', '-t', 'portcullis', '--', text], { stdio: 'ignore', timeout: 2000, env: {} });
    } catch {
      // Nothing left to report to.
    }
  };
}
