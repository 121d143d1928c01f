import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { prepareDemoDir, removeDemoDir } from '../testkit/demo-dir.js';
import { BUNDLE } from '../testkit/sshd.js';
import { makeTempDir, writeFileWithMode } from '../testkit/tmp.js';

const CONFIG_DIR = resolve(__dirname, '..', '..', 'config');

function check(path: string): { status: number | null; report: { ok: boolean; errors: unknown[]; warnings: Array<{ path: string; code?: string }> } } {
  const result = spawnSync(BUNDLE, ['check', '--config', path, '--json'], { encoding: 'utf8' });
  return { status: result.status, report: JSON.parse(result.stdout) };
}

describe('the shipped example configs pass portcullis check', () => {
  it('config/demo.toml, with the files the demo prepares in its own directory', () => {
    const demo = prepareDemoDir();
    try {
      const { status, report } = check(demo.config);
      assert.deepEqual(report.errors, []);
      assert.equal(status, 0);
    } finally {
      removeDemoDir(demo);
    }
  });

  it('config/example.toml, with its production paths moved to a temp dir', () => {
    const dir = makeTempDir();
    for (const sub of ['log', 'lib', 'secrets']) mkdirSync(join(dir, sub), { mode: 0o700 });
    const text = readFileSync(join(CONFIG_DIR, 'example.toml'), 'utf8')
      .replaceAll('/var/log/portcullis', join(dir, 'log'))
      .replaceAll('/var/lib/portcullis', join(dir, 'lib'))
      .replaceAll('/etc/portcullis/secrets', join(dir, 'secrets'));
    for (const match of text.matchAll(/file:([^"]+)/g)) writeFileWithMode(match[1] as string, 'a-token-secret-of-32-characters!\n', 0o600);
    const path = join(dir, 'example.toml');
    writeFileSync(path, text, { mode: 0o644 });
    const { status, report } = check(path);
    assert.deepEqual(report.errors, []);
    assert.equal(status, 0);
    // The example's path roots are the host's /var/log, which may hold group-writable
    // directories (Debian's postgresql log dir is 1775): that warning is about the host.
    const hostBound = (w: { path: string; code?: string }) => w.path === 'sshd' || w.path === '(compiled)' || w.code === 'path_root_writable';
    assert.deepEqual(report.warnings.filter((w) => !hostBound(w)), []);
  });
});
