import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** config/demo.toml as shipped: readable paths that each run replaces with its own directory. */
export const DEMO_CONFIG = resolve(__dirname, '..', '..', 'config', 'demo.toml');
const SHIPPED_DIR = '/tmp/portcullis-demo';

/** A demo's own directory and the config that points into it; two runs never share one. */
export interface DemoDir {
  readonly dir: string;
  readonly config: string;
}

/** Creates what config/demo.toml expects in a fresh directory, with a fresh random token secret. */
export function prepareDemoDir(): DemoDir {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-demo-'));
  mkdirSync(join(dir, 'logs'), { mode: 0o700 });
  writeFileSync(join(dir, 'logs', 'app.log'), 'GET / 200\nGET /health 200\nPOST /login 401\n');
  writeFileSync(join(dir, 'deploy-bot.secret'), `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
  const config = join(dir, 'demo.toml');
  writeFileSync(config, readFileSync(DEMO_CONFIG, 'utf8').replaceAll(SHIPPED_DIR, dir), { mode: 0o644 });
  return { dir, config };
}

export function removeDemoDir(demo: DemoDir): void {
  rmSync(demo.dir, { recursive: true, force: true });
}
