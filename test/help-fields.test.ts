import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { compiledPathFor, loadCompiledConfig, readCapped, type Config } from '../src/config/index.js';
import { loadConfig, writeCompiledConfig } from '../src/config/full.js';
import { makeHintsHost } from '../testkit/hints-host.js';
import { makeTempDir, serverTable, writeFileWithMode } from '../testkit/tmp.js';
import { existsSync } from 'node:fs';

type Json = Record<string, any>;

function actionOf(help: Json | null, domain: string, action: string): Json {
  const found = (help?.domains as Json[]).find((d) => d.name === domain)?.actions.find((a: Json) => a.name === action);
  assert.ok(found, `${domain} ${action} not in help`);
  return found;
}

/** `help` and `list` (docs/protocol.md §7.2): everything a client needs to build an accepted request. */
describe('help and list fields', () => {
  const host = makeHintsHost();

  it('help gives effects, idempotent, examples and output per action', async () => {
    const help = (await host.serve('help')).json;
    const disk = actionOf(help, 'host', 'disk');
    assert.deepEqual([disk.effects, disk.idempotent, disk.examples, disk.output], ['read', true, ['host disk mount=/var'], 'json']);
    const deploy = actionOf(help, 'app', 'deploy');
    assert.deepEqual([deploy.effects, deploy.idempotent, deploy.output], ['read', false, 'json']);
    assert.equal(typeof deploy.timeout, 'number', 'the MCP bridge bounds a call by the action timeout');
    assert.equal(deploy.examples.length, 2);
  });

  it('an action without effects is read-only at level read and destructive above', async () => {
    const help = (await host.serve('help app', ['--level', 'admin'])).json;
    assert.equal(actionOf(help, 'app', 'deploy').effects, 'read');
    assert.equal(actionOf(help, 'app', 'destroy').effects, 'destructive');
  });

  it('help gives min_length, allow_leading_dash, must_exist and sensitive per argument', async () => {
    const help = (await host.serve('help')).json;
    const [version] = actionOf(help, 'app', 'deploy').args;
    assert.deepEqual([version.min_length, version.allow_leading_dash, version.sensitive], [0, false, false]);
    const [password] = actionOf(help, 'app', 'login').args;
    assert.equal(password.sensitive, true);
    const [file] = actionOf(help, 'logs', 'tail').args;
    assert.deepEqual([file.must_exist, file.sensitive], [true, false]);
  });

  it('help with no argument carries usage, builtins and scope; help on a domain does not', async () => {
    const help = (await host.serve('help')).json as Json;
    assert.equal(typeof help.usage, 'string');
    assert.doesNotMatch(help.usage, /<[a-z]+>/, 'no angle-bracket placeholders');
    assert.deepEqual(help.builtins.map((b: Json) => b.name), ['help', 'list', 'whoami']);
    assert.deepEqual(help.builtins[0].args.map((a: Json) => a.name), ['domain', 'action']);
    assert.equal(typeof help.scope, 'string');
    const domainHelp = (await host.serve('help app')).json as Json;
    assert.equal(domainHelp.usage, undefined);
  });

  it('list marks an action that reads stdin with " < stdin"', async () => {
    const actions = (await host.serve('list')).json?.actions as string[];
    assert.ok(actions.includes('logs import < stdin'), JSON.stringify(actions));
    assert.ok(actions.includes('host disk mount=<string>'));
  });
});

const BASE = `
[domains.app]
description = "App"
[domains.app.actions.deploy]
description = "Deploy"
level = "read"
exec = ["/bin/echo", "{version}", "{dir}"]
[domains.app.actions.deploy.args.version]
type = "string"
pattern = "[0-9]+"
[domains.app.actions.deploy.args.dir]
type = "path"
root = "/nonexistent-root"
must_exist = true
default = "x"
[domains.other]
description = "Other"
[domains.other.actions.run]
description = "Run"
level = "read"
exec = ["/bin/true"]
`;

function load(examples: string, extra = ''): { ok: boolean; errors: string[]; path: string } {
  const dir = makeTempDir();
  const body = BASE.replace('level = "read"\nexec = ["/bin/echo"', `level = "read"\n${extra}examples = ${examples}\nexec = ["/bin/echo"`);
  const path = writeFileWithMode(join(dir, 'config.toml'), serverTable(dir) + body, 0o600);
  const result = loadConfig(path);
  return { ok: result.ok, errors: result.ok ? [] : result.errors.map((e) => `${e.path}: ${e.message}`), path };
}

describe('action examples are checked at load (docs/config.md)', () => {
  it('accepts examples that parse and pass argument validation (path containment is checked when served)', () => {
    const loaded = load(`["app deploy version=12", "app deploy version='7' dir=sub/x"]`);
    assert.deepEqual(loaded.errors, []);
  });

  for (const [example, why] of [
    ['app deploy version=1.2', 'breaks the pattern'],
    ['app deploy', 'misses a required argument'],
    ['app deploy version=1 color=red', 'names an undeclared argument'],
    ['app deploy version=1 version=2', 'repeats an argument'],
    ['app deploy version=1 dir=../x', 'a path that leaves its root'],
    ['other run', 'is for another action'],
    ['app deploy version=1 | cat', 'does not parse'],
    ['+token=t app deploy version=1', 'carries proof fields'],
    ['help', 'is a built-in'],
  ]) {
    it(`refuses an example that ${why}, naming it`, () => {
      const loaded = load(JSON.stringify([example]));
      assert.equal(loaded.ok, false);
      assert.ok(loaded.errors.some((e) => e.startsWith('domains.app.actions.deploy.examples[0]:')), JSON.stringify(loaded.errors));
    });
  }

  it('refuses an effects value outside read, write, destructive', () => {
    assert.equal(load('[]', 'effects = "harmless"\n').ok, false);
    assert.equal(load('[]', 'effects = "write"\nidempotent = true\n').ok, true);
  });

  it('the compiled form carries effects, idempotent and examples exactly as the full loader', () => {
    const loaded = load(`["app deploy version=12"]`, 'effects = "write"\nidempotent = true\n');
    const full = loadConfig(loaded.path);
    assert.ok(full.ok);
    const source = readCapped(loaded.path);
    assert.ok(!('error' in source));
    writeCompiledConfig(full.config, source);
    assert.ok(existsSync(compiledPathFor(loaded.path)));
    const compiled = loadCompiledConfig(loaded.path) as Config;
    const pick = (config: Config): unknown => {
      const action = config.domains.get('app')?.actions.get('deploy');
      return [action?.effects, action?.idempotent, action?.examples];
    };
    assert.deepEqual(pick(compiled), ['write', true, ['app deploy version=12']]);
    assert.deepEqual(pick(compiled), pick(full.config));
  });
});
