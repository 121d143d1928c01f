import { nodeChildProcess } from '../builtins.js';

const LOGGER = '/usr/bin/logger';

/**
 * One line to syslog (auth.err, tag portcullis) for a failure the audit log cannot record
 * because the audit log itself is what failed. Best effort: a host without logger or
 * without a syslog daemon loses only this trace, never the refusal.
 */
export function syslogError(line: string): void {
  const text = line.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 1000);
  try {
    nodeChildProcess().spawnSync(LOGGER, ['-p', 'auth.err', '-t', 'portcullis', '--', text], { stdio: 'ignore', timeout: 2000, env: {} });
  } catch {
    // Nothing left to report to.
  }
}
