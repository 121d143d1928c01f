import { readFileSync } from 'node:fs';

/**
 * Whether a process is alive. A killed orphan may linger as a zombie when the container's
 * pid 1 does not reap, so zombies count as dead.
 */
export function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The records of a JSONL audit log, or none when it does not exist yet. */
export function readAudit(path: string): Array<Record<string, any>> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, any>);
}
