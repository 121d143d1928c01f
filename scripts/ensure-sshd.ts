import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { SSHD } from '../testkit/sshd.js';

/** Installs openssh-server with apt-get when sshd is missing and we are root; otherwise says what to install. */
export function ensureSshd(): void {
  if (existsSync(SSHD)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`${SSHD} is missing. Install it first: sudo apt-get install -y openssh-server (and openssh-client)`);
  }
  console.log('sshd is missing: installing openssh-server with apt-get…');
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'openssh-server', 'openssh-client'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}
