import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reachableBundle } from '../testkit/reachable-bundle.js';
import { BUNDLE } from '../testkit/sshd.js';
import { makeTempDir, serverTable } from '../testkit/tmp.js';

// docs/config.md "Error messages": one mistake gives one error a person understands, at its path.

interface Problem {
  readonly path: string;
  readonly message: string;
}

const GOOD_ACTION = `
[domains.app]
description = "App"
[domains.app.actions.deploy]
description = "Deploy"
level = "admin"
exec = ["/bin/echo", "{channel}"]
[domains.app.actions.deploy.args.channel]
type = "enum"
values = ["stable", "canary"]
default = "stable"
`;

/** check --json on `body`; with `asUser`, run as that account, the config mode `configMode`. */
function check(body: string | ((dir: string) => string), asUser?: number, configMode = 0o600): { status: number | null; errors: Problem[] } {
  const dir = makeTempDir();
  const config = join(dir, 'config.toml');
  writeFileSync(config, `${serverTable(dir)}${typeof body === 'string' ? body : body(dir)}`, { mode: 0o644 });
  if (asUser !== undefined) {
    chmodSync(dir, 0o755);
    chmodSync(config, configMode);
  }
  // Another account cannot traverse every checkout (a clone in /root or a mktemp dir): it runs a copy.
  const bundle = asUser !== undefined ? reachableBundle(dir) : BUNDLE;
  const result = spawnSync(bundle, ['check', '--config', config, '--json'], {
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin' },
    ...(asUser !== undefined ? { uid: asUser, gid: asUser } : {}),
  });
  const report = JSON.parse(result.stdout) as { errors: Problem[] };
  return { status: result.status, errors: report.errors.filter((e) => !e.path.startsWith('server.') && e.path !== 'sshd') };
}

/** Exactly one error, at `path`, whose message holds `text`. */
function assertOneError(body: string, path: string, text: string): void {
  const { status, errors } = check(body);
  assert.equal(status, 129);
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.equal(errors[0]?.path, path);
  assert.ok(errors[0]?.message.includes(text), `${errors[0]?.message} lacks ${text}`);
}

describe('config messages a person understands (docs/config.md "Error messages")', () => {
  it('control: the untouched config has no error', () => {
    assert.deepEqual(check(GOOD_ACTION).errors, []);
  });

  it('names a missing required key', () => {
    assertOneError(GOOD_ACTION.replace('level = "admin"\n', ''), 'domains.app.actions.deploy.level', 'missing required key `level`');
  });

  it('names an unknown key with the key it is near, and not the missing key it stands for', () => {
    assertOneError(GOOD_ACTION.replace('level = "admin"', 'levle = "admin"'), 'domains.app.actions.deploy.levle', 'unknown key `levle` (did you mean `level`?)');
  });

  it('names a typo of an argument\'s type as the unknown key it is', () => {
    assertOneError(GOOD_ACTION.replace('type = "enum"', 'tpye = "enum"'), 'domains.app.actions.deploy.args.channel.tpye', 'unknown key `tpye` (did you mean `type`?)');
  });

  it('names an unknown key with no near name plainly', () => {
    assertOneError(GOOD_ACTION.replace('level = "admin"', 'level = "admin"\nshell = true'), 'domains.app.actions.deploy.shell', 'unknown key `shell`');
  });

  it('says what stdin may be', () => {
    assertOneError(GOOD_ACTION.replace('level = "admin"', 'level = "admin"\nstdin = true'), 'domains.app.actions.deploy.stdin', 'must be false or { max_bytes = N }');
    assertOneError(GOOD_ACTION.replace('level = "admin"', 'level = "admin"\nstdin = { max_bytes = 0 }'), 'domains.app.actions.deploy.stdin.max_bytes', 'must be at least 1');
  });

  it('lists the levels for a level outside them', () => {
    assertOneError(GOOD_ACTION.replace('level = "admin"', 'level = "root"'), 'domains.app.actions.deploy.level', 'must be one of "read", "ops", "admin"');
  });

  it('names an unknown argument type with the type it is near', () => {
    assertOneError(GOOD_ACTION.replace('type = "enum"', 'type = "enmu"'), 'domains.app.actions.deploy.args.channel.type', '(did you mean `enum`?)');
  });

  it('reports an enum default outside its values once, not also as an undeclared placeholder', () => {
    assertOneError(GOOD_ACTION.replace('default = "stable"', 'default = "latest"'), 'domains.app.actions.deploy.args.channel.default', 'must be one of: stable, canary');
  });

  it('says a number must be a number', () => {
    assertOneError(GOOD_ACTION.replace('level = "admin"', 'level = "admin"\ntimeout = "60"'), 'domains.app.actions.deploy.timeout', 'must be a number');
  });

  it('gives the line where an unclosed string opened', () => {
    // serverTable is 4 lines; the GOOD_ACTION text starts with an empty line 5.
    assertOneError(GOOD_ACTION.replace('description = "Deploy"', 'description = "Deploy'), '(file)', 'line 9, column 15: a string opened here is not closed on its line');
    assertOneError(GOOD_ACTION.replace('description = "Deploy"', 'description = """Deploy'), '(file)', 'line 9, column 15: a multi-line string opened here is never closed');
  });

  it('names the file, the account, its owner and mode, and the fix for a config the account cannot read', { skip: process.getuid?.() === 0 ? false : 'needs root to run as another account' }, () => {
    const { status, errors } = check(GOOD_ACTION, 65534);
    assert.equal(status, 129);
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.equal(errors[0]?.path, '(file)');
    assert.match(errors[0]?.message ?? '', /\/config\.toml cannot be read by \S+ \(root:root 0600\); use root:\S+ 0640$/);
  });

  it('does the same for a file: secret the account cannot read', { skip: process.getuid?.() === 0 ? false : 'needs root to run as another account' }, () => {
    const withSecret = (dir: string): string => {
      writeFileSync(join(dir, 'bot.secret'), 'a-secret-of-at-least-16-bytes\n', { mode: 0o600 });
      return `${GOOD_ACTION}\n[tokens.bot]\nsecret = "file:${dir}/bot.secret"\nlevel = "admin"\n`;
    };
    const { errors } = check(withSecret, 65534, 0o644);
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.equal(errors[0]?.path, 'tokens.bot.secret');
    assert.match(errors[0]?.message ?? '', /\/bot\.secret cannot be read by \S+ \(root:root 0600\); use root:\S+ 0640$/);
  });
});
