import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/** A fresh private directory (0700, under the sticky /tmp), removed when the test file ends. */
export function makeTempDir(prefix = 'portcullis-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes a file with an exact mode (umask does not apply). */
export function writeFileWithMode(path: string, content: string | Buffer, mode: number): string {
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

/** A minimal valid server table whose audit log lives in `dir`. */
export function serverTable(dir: string, extra = ''): string {
  return `[server]\naudit_log = "${dir}/audit.jsonl"\nstate_dir = "${dir}/state"\n${extra}\n`;
}
