import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeTempDir, serverTable } from '../testkit/tmp.js';

// The package an operator installs (docs/install.md, "Deploying to a fleet"): `npm pack`
// gives a tarball of the bundle and the docs, and `npm install -g` of that tarball, with no
// registry and no build step, gives a `portcullis` command that serves a request.
// The test packs the bundle this build made (--ignore-scripts: `prepack` would rebuild
// dist/ in place while other test files run it).

const ROOT = resolve(__dirname, '..', '..');

interface PackReport {
  filename: string;
  files: Array<{ path: string }>;
}

describe('npm pack, then npm install -g of the tarball', () => {
  const dir = makeTempDir('portcullis-pack-');
  const npm = (...args: string[]) => execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, npm_config_cache: join(dir, 'npm-cache') } });
  const [report] = JSON.parse(npm('pack', '--ignore-scripts', '--json', '--pack-destination', dir)) as PackReport[];

  it('packs only the bundle, the docs and the examples the docs name', () => {
    const paths = report?.files.map((file) => file.path) ?? [];
    const unexpected = paths.filter((path) => !/^(dist\/portcullis\.js|docs\/.+\.md|README\.md|LICENSE|package\.json|config\/example\.toml|authorized_keys\.example|sudoers\.example)$/.test(path));
    assert.deepEqual(unexpected, []);
    assert.ok(paths.includes('dist/portcullis.js') && paths.includes('docs/install.md'), paths.join(' '));
  });

  it('installs offline into a prefix as a portcullis command that serves a request', () => {
    const prefix = join(dir, 'prefix');
    npm('install', '--global', '--prefix', prefix, '--offline', join(dir, report?.filename ?? 'missing.tgz'));
    const installed = join(prefix, 'lib', 'node_modules', 'portcullis');
    assert.equal(existsSync(join(installed, 'node_modules')), false, 'no dependency is fetched: the bundle holds them');
    const command = join(prefix, 'bin', 'portcullis');
    assert.match(execFileSync(command, ['--version'], { encoding: 'utf8' }), /^portcullis \d+\.\d+\.\d+/);

    const config = join(dir, 'config.toml');
    writeFileSync(config, `${serverTable(dir)}
[domains.t]
description = "Test"
[domains.t.actions.echo]
description = "Echo"
level = "read"
exec = ["/bin/echo", "{msg}"]
[domains.t.actions.echo.args.msg]
type = "string"
`, { mode: 0o644 });
    const check = spawnSync(command, ['check', '--config', config, '--compile', '--sshd-config', '/dev/null'], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    const served = spawnSync(command, ['--config', config], {
      encoding: 'utf8',
      env: { PATH: `${join(prefix, 'bin')}:/usr/local/bin:/usr/bin:/bin`, SSH_ORIGINAL_COMMAND: 't echo msg=packed', SSH_CONNECTION: '192.0.2.1 5 192.0.2.2 22' },
    });
    assert.equal(served.status, 0, served.stdout + served.stderr);
    assert.equal(JSON.parse(served.stdout).stdout, 'packed\n');
    assert.ok(readdirSync(dir).includes('audit.jsonl'));
  });
});
