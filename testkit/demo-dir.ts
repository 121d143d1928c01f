import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where config/demo.toml keeps its audit log, state, log files and token secret. */
export const DEMO_DIR = '/tmp/portcullis-demo';

/** Creates what config/demo.toml expects, with a fresh random token secret. */
export function prepareDemoDir(): void {
  rmSync(DEMO_DIR, { recursive: true, force: true });
  mkdirSync(join(DEMO_DIR, 'logs'), { recursive: true, mode: 0o700 });
  writeFileSync(join(DEMO_DIR, 'logs', 'app.log'), 'GET / 200\nGET /health 200\nPOST /login 401\n');
  writeFileSync(join(DEMO_DIR, 'deploy-bot.secret'), `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
}

export function removeDemoDir(): void {
  rmSync(DEMO_DIR, { recursive: true, force: true });
}
