import { readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { modeText } from './_permissions.js';

/**
 * Why the running account cannot read a file, with the fix (docs/config.md "File
 * permissions"): `… cannot be read by svc (root:root 0600); use root:svc 0640`. Cold code,
 * called only once a read failed with EACCES; null when the file cannot even be looked at.
 */
export function unreadableHint(path: string): string | null {
  let stats: { uid: number; gid: number; mode: number };
  try {
    stats = statSync(path);
  } catch {
    return null;
  }
  const account = accountName();
  const group = nameOf('/etc/group', process.getgid?.() ?? 0);
  return `${path} cannot be read by ${account} (${nameOf('/etc/passwd', stats.uid)}:${nameOf('/etc/group', stats.gid)} ${modeText(stats)}); use root:${group} 0640`;
}

function accountName(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

/** The name for an id in /etc/passwd or /etc/group (third field), else the number. */
function nameOf(file: string, id: number): string {
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const fields = line.split(':');
      if (fields[2] === String(id) && fields[0]) return fields[0];
    }
  } catch {
    // No such database (a container): the number says enough.
  }
  return String(id);
}
