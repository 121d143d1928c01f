import { join } from 'node:path';
import type { Config } from '../src/config/index.js';
import { loadConfig } from '../src/config/full.js';
import { makeTempDir, serverTable, writeFileWithMode } from './tmp.js';

/** Loads a real config file written to a fresh temp dir; `body` follows a minimal server table. */
export function configFrom(body: string, serverExtra = ''): { config: Config; dir: string; path: string } {
  const dir = makeTempDir();
  const path = writeFileWithMode(join(dir, 'config.toml'), serverTable(dir, serverExtra) + body, 0o600);
  const result = loadConfig(path);
  if (!result.ok) throw new Error(`test config invalid: ${JSON.stringify(result.errors)}`);
  return { config: result.config, dir, path };
}
