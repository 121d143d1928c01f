import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfigPath, resolveSecret, type LoadResult } from './index.js';
import { loadConfig } from './full.js';
import { makeTempDir, serverTable, writeFileWithMode } from '../../testkit/tmp.js';

const ACTION = `
[domains.app]
description = "App"
[domains.app.actions.run]
description = "Run"
level = "read"
exec = ["/bin/echo", "{name}"]
[domains.app.actions.run.args.name]
type = "string"
default = "world"
`;

function load(body: string, mode = 0o600, withServer = true): { result: LoadResult; dir: string } {
  const dir = makeTempDir();
  const path = writeFileWithMode(join(dir, 'config.toml'), (withServer ? serverTable(dir) : '') + body, mode);
  return { result: loadConfig(path), dir };
}

function errorsOf(body: string, mode = 0o600): string[] {
  const { result } = load(body, mode);
  assert.equal(result.ok, false, 'expected the config to be refused');
  return result.ok ? [] : result.errors.map((e) => `${e.path}: ${e.message}`);
}

function assertErrorAt(body: string, path: string): void {
  const errors = errorsOf(body);
  assert.ok(errors.some((e) => e.startsWith(`${path}:`)), `expected an error at ${path}, got ${JSON.stringify(errors)}`);
}

describe('loadConfig: a valid file', () => {
  it('loads with every default applied', () => {
    const { result } = load(ACTION);
    assert.ok(result.ok);
    const { server, domains } = result.config;
    assert.equal(server.defaultTimeout, 60);
    assert.equal(server.killGrace, 5);
    assert.equal(server.maxOutputBytes, 1048576);
    assert.equal(server.maxRequestBytes, 8192);
    assert.equal(server.proofWindow, 120);
    assert.equal(server.env.get('LANG'), 'C.UTF-8');
    const action = domains.get('app')?.actions.get('run');
    assert.equal(action?.timeout, 60);
    assert.equal(action?.cwd, '/');
    assert.equal(action?.stdin, null);
    assert.equal(action?.args.get('name')?.required, false);
    assert.equal(action?.args.get('name')?.default, 'world');
  });
  it('accepts {{ and }} as literal braces', () => {
    const { result } = load(ACTION.replace('"{name}"', '"{{x}}={name}"'));
    assert.ok(result.ok);
  });
  it('canonicalises an int default and a bool default', () => {
    const { result } = load(`${ACTION}[domains.app.actions.run.args.n]\ntype = "int"\ndefault = 3\n[domains.app.actions.run.args.b]\ntype = "bool"\ndefault = false\n`.replace('"{name}"', '"{name}", "{n}", "{b}"'));
    assert.ok(result.ok);
    assert.equal(result.config.domains.get('app')?.actions.get('run')?.args.get('b')?.default, 'false');
  });
});

describe('loadConfig: schema rules, each error named by its TOML path', () => {
  it('refuses an unknown top-level key', () => assertErrorAt(`${ACTION}\n[extra]\n`, 'extra'));
  it('refuses an unknown server key', () => {
    const { result } = load(`[server]\naudit_log = "/tmp/a"\nuser = "root"\n${ACTION}`, 0o600, false);
    assert.ok(!result.ok && result.errors.some((e) => e.path === 'server.user'));
  });
  it('refuses an unknown action key', () => assertErrorAt(ACTION.replace('level = "read"', 'level = "read"\nshell = true'), 'domains.app.actions.run.shell'));
  it('refuses an unknown argument key', () => assertErrorAt(`${ACTION}glob = true\n`, 'domains.app.actions.run.args.name.glob'));
  it('requires server.audit_log', () => {
    const { result } = load(`[server]\nid = "x"\n${ACTION}`, 0o600, false);
    assert.ok(!result.ok && result.errors.some((e) => e.path === 'server.audit_log'));
  });
  it('refuses a relative audit_log', () => {
    const { result } = load(`[server]\naudit_log = "audit.jsonl"\n${ACTION}`, 0o600, false);
    assert.ok(!result.ok && result.errors.some((e) => e.path === 'server.audit_log'));
  });
  it('refuses an out-of-range server integer', () => {
    const { result } = load(`[server]\naudit_log = "/tmp/a"\nmax_request_bytes = 100\n${ACTION}`, 0o600, false);
    assert.ok(!result.ok && result.errors.some((e) => e.path === 'server.max_request_bytes'));
  });
  it('requires an explicit action level', () => assertErrorAt(ACTION.replace('level = "read"\n', ''), 'domains.app.actions.run.level'));
  it('refuses an unknown level', () => assertErrorAt(ACTION.replace('"read"', '"root"'), 'domains.app.actions.run.level'));
  it('refuses an empty exec', () => assertErrorAt(ACTION.replace('["/bin/echo", "{name}"]', '[]'), 'domains.app.actions.run.exec'));
  it('refuses stdin = true', () => assertErrorAt(ACTION.replace('level = "read"', 'level = "read"\nstdin = true'), 'domains.app.actions.run.stdin'));
  it('refuses an unknown argument type', () => assertErrorAt(ACTION.replace('"string"', '"float"'), 'domains.app.actions.run.args.name.type'));
  it('refuses an int default given as a string', () => {
    assertErrorAt(ACTION.replace('type = "string"\ndefault = "world"', 'type = "int"\ndefault = "3"'), 'domains.app.actions.run.args.name.default');
  });
  it('refuses a TOML syntax error with its line and column', () => {
    const errors = errorsOf('[server\n');
    assert.ok(errors.some((e) => /line 5, column \d+/.test(e)), JSON.stringify(errors));
  });
});

describe('loadConfig: cross-field rules', () => {
  it('refuses a relative exec[0]', () => assertErrorAt(ACTION.replace('"/bin/echo"', '"echo"'), 'domains.app.actions.run.exec[0]'));
  it('refuses a placeholder in exec[0]', () => assertErrorAt(ACTION.replace('"/bin/echo"', '"/bin/{name}"'), 'domains.app.actions.run.exec[0]'));
  it('refuses an undeclared placeholder', () => assertErrorAt(ACTION.replace('"{name}"', '"{other}"'), 'domains.app.actions.run.exec[1]'));
  it('refuses an undeclared placeholder in env', () => {
    assertErrorAt(ACTION.replace('level = "read"', 'level = "read"\nenv = { X = "{nope}" }'), 'domains.app.actions.run.env.X');
  });
  it('refuses an unmatched brace', () => assertErrorAt(ACTION.replace('"{name}"', '"{name}}"'), 'domains.app.actions.run.exec[1]'));
  it('warns about a declared argument that is never used', () => {
    const { result } = load(ACTION.replace('"{name}"', '"hi"'));
    assert.ok(result.ok && result.warnings.some((w) => w.path === 'domains.app.actions.run.args.name'));
  });
  it('compiles output and raw_max_bytes, 1 GiB by default, and warns about raw_max_bytes on a json action', () => {
    const raw = load(ACTION.replace('level = "read"', 'level = "read"\noutput = "raw"'));
    const action = raw.result.ok ? raw.result.config.domains.get('app')?.actions.get('run') : undefined;
    assert.deepEqual([action?.output, action?.rawMaxBytes], ['raw', 1073741824]);
    assert.ok(raw.result.ok && raw.result.warnings.length === 0);
    const json = load(ACTION.replace('level = "read"', 'level = "read"\nraw_max_bytes = 10'));
    assert.ok(json.result.ok && json.result.warnings.some((w) => w.path === 'domains.app.actions.run.raw_max_bytes'));
    assertErrorAt(ACTION.replace('level = "read"', 'level = "read"\noutput = "binary"'), 'domains.app.actions.run.output');
    assertErrorAt(ACTION.replace('level = "read"', 'level = "read"\nraw_max_bytes = 0'), 'domains.app.actions.run.raw_max_bytes');
  });
  it('refuses required = true with a default', () => assertErrorAt(`${ACTION}required = true\n`, 'domains.app.actions.run.args.name.required'));
  it('refuses a default outside the enum values', () => {
    assertErrorAt(ACTION.replace('type = "string"', 'type = "enum"\nvalues = ["a", "b"]'), 'domains.app.actions.run.args.name.default');
  });
  it('refuses an int default out of range', () => {
    assertErrorAt(ACTION.replace('type = "string"\ndefault = "world"', 'type = "int"\nmax = 2\ndefault = 3'), 'domains.app.actions.run.args.name.default');
  });
  it('refuses a string default starting with a dash', () => assertErrorAt(ACTION.replace('"world"', '"-rf"'), 'domains.app.actions.run.args.name.default'));
  it('refuses a pattern that does not compile with the u flag', () => assertErrorAt(`${ACTION}pattern = "\\\\p{Nope}"\n`, 'domains.app.actions.run.args.name.pattern'));
  it('refuses min_length above max_length', () => assertErrorAt(`${ACTION}min_length = 9\nmax_length = 3\n`, 'domains.app.actions.run.args.name.min_length'));
  it('refuses a path root that is not absolute', () => {
    assertErrorAt(ACTION.replace('type = "string"\ndefault = "world"', 'type = "path"\nroot = "var/log"'), 'domains.app.actions.run.args.name.root');
  });
  for (const name of ['help', 'list', 'whoami']) {
    it(`refuses the reserved domain name ${name}`, () => assertErrorAt(ACTION.replaceAll('domains.app', `domains.${name}`), `domains.${name}`));
  }
  it('refuses an argument named like a built-in placeholder', () => {
    assertErrorAt(ACTION.replaceAll('args.name', 'args.identity').replace('{name}', '{identity}'), 'domains.app.actions.run.args.identity');
  });
  it('refuses PORTCULLIS_* variables in env', () => {
    assertErrorAt(ACTION.replace('level = "read"', 'level = "read"\nenv = { PORTCULLIS_LEVEL = "admin" }'), 'domains.app.actions.run.env.PORTCULLIS_LEVEL');
  });
  it('refuses NUL in an exec element', () => assertErrorAt(ACTION.replace('"{name}"', '"a\\u0000b"'), 'domains.app.actions.run.exec[1]'));
  it('warns when a sensitive argument is placed in argv', () => {
    const { result } = load(`${ACTION}sensitive = true\n`);
    assert.ok(result.ok);
    assert.deepEqual(result.warnings.map((w) => w.path), ['domains.app.actions.run.args.name']);
  });
  it('warns when an interpreter receives a placeholder', () => {
    const { result } = load(ACTION.replace('["/bin/echo", "{name}"]', '["/bin/sh", "-c", "echo {name}"]'));
    assert.ok(result.ok && result.warnings.some((w) => w.path === 'domains.app.actions.run.exec'));
  });
});

describe('loadConfig: names that are not identifiers', () => {
  it('refuses an uppercase domain', () => assertErrorAt(ACTION.replaceAll('domains.app', 'domains.App'), 'domains.App'));
  it('refuses an action name with a dot', () => assertErrorAt(ACTION.replaceAll('actions.run', 'actions."a.b"'), 'domains.app.actions.a.b'));
  it('refuses a bad tag', () => assertErrorAt(ACTION.replace('level = "read"', 'level = "read"\ntags = ["Ops"]'), 'domains.app.actions.run.tags[0]'));
  for (const where of ['domains.__proto__', 'domains.app.actions.__proto__', 'domains.app.actions.run.args.__proto__', 'tokens.__proto__']) {
    it(`refuses __proto__ as a name (${where})`, () => {
      const body =
        where === 'tokens.__proto__'
          ? `${ACTION}[tokens.__proto__]\nsecret = "hex:${'ab'.repeat(16)}"\nlevel = "read"\n`
          : ACTION.replaceAll(where.replace('__proto__', where.endsWith('args.__proto__') ? 'name' : where.includes('actions') ? 'run' : 'app'), where);
      assertErrorAt(body, where);
    });
  }
  it('stores constructor, toString-like and __proto__-adjacent names as ordinary Map keys', () => {
    const body = ACTION.replaceAll('domains.app', 'domains.constructor').replaceAll('actions.run', 'actions.tostring').replaceAll('args.name', 'args.constructor').replace('{name}', '{constructor}');
    const { result } = load(`${body}[tokens.constructor]\nsecret = "hex:${'ab'.repeat(16)}"\nlevel = "ops"\n`);
    assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
    assert.equal(result.config.domains.get('constructor')?.actions.get('tostring')?.args.get('constructor')?.type, 'string');
    assert.equal(result.config.tokens.get('constructor')?.level, 'ops');
    assert.equal(result.config.domains.get('toString'), undefined);
  });
});

describe('loadConfig: file permissions (StrictModes)', () => {
  it('refuses a group-writable config (0664)', () => {
    const { result } = load(ACTION, 0o664);
    assert.ok(!result.ok && result.errors.some((e) => e.path === '(file)' && e.message.includes('writable')));
  });
  it('refuses a config writable by others', () => {
    const { result } = load(ACTION, 0o602);
    assert.ok(!result.ok);
  });
  it('refuses a world-readable config that holds an inline secret (0644)', () => {
    const { result } = load(`${ACTION}[tokens.bot]\nsecret = "hex:${'ab'.repeat(16)}"\nlevel = "admin"\n`, 0o644);
    assert.ok(!result.ok && result.errors.some((e) => e.path === 'tokens.bot.secret'));
  });
  it('accepts a world-readable config without inline secrets (0644)', () => assert.ok(load(ACTION, 0o644).result.ok));
  it('refuses a config whose parent directory is group-writable', () => {
    const dir = makeTempDir();
    const sub = join(dir, 'etc');
    mkdirSync(sub);
    chmodSync(sub, 0o775);
    const path = writeFileWithMode(join(sub, 'config.toml'), serverTable(dir) + ACTION, 0o600);
    const result = loadConfig(path);
    assert.ok(!result.ok && result.errors.some((e) => e.message.includes(`directory ${sub}`)));
  });
  it('accepts a sticky world-writable directory above the config (like /tmp)', () => {
    const dir = makeTempDir();
    const sub = join(dir, 'sticky');
    mkdirSync(sub);
    chmodSync(sub, 0o1777);
    const path = writeFileWithMode(join(sub, 'config.toml'), serverTable(dir) + ACTION, 0o600);
    assert.ok(loadConfig(path).ok);
  });
  it('refuses a config reached through a symlink in a group-writable directory', () => {
    const dir = makeTempDir();
    const real = writeFileWithMode(join(dir, 'config.toml'), serverTable(dir) + ACTION, 0o600);
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o775);
    symlinkSync(real, join(shared, 'config.toml'));
    const result = loadConfig(join(shared, 'config.toml'));
    assert.ok(!result.ok && result.errors.some((e) => e.message.includes(`directory ${shared}`)));
  });
  it('refuses a missing config file', () => assert.equal(loadConfig('/nonexistent/portcullis.toml').ok, false));
  it('refuses a config larger than 1 MiB', () => {
    const { result } = load(`${ACTION}\n#${'x'.repeat(1048576)}\n`);
    assert.ok(!result.ok && result.errors.some((e) => e.message.includes('larger')));
  });
});

function secretOf(spec: string | undefined): Buffer | undefined {
  const resolved = resolveSecret(spec ?? '');
  return 'secret' in resolved ? resolved.secret : undefined;
}

describe('loadConfig: token secrets', () => {
  const token = (secret: string) => `${ACTION}[tokens.bot]\nsecret = "${secret}"\nlevel = "admin"\n`;
  it('decodes hex and b64 secrets', () => {
    const { result } = load(token(`b64:${Buffer.alloc(16, 7).toString('base64')}`));
    assert.ok(result.ok);
    assert.deepEqual(secretOf(result.config.tokens.get('bot')?.secretSpec), Buffer.alloc(16, 7));
  });
  it('refuses a secret shorter than 16 bytes', () => assertErrorAt(token(`hex:${'ab'.repeat(15)}`), 'tokens.bot.secret'));
  it('refuses malformed hex', () => assertErrorAt(token(`hex:${'zz'.repeat(16)}`), 'tokens.bot.secret'));
  it('refuses malformed base64', () => assertErrorAt(token('b64:!!!!abcdabcdabcdabcdabcd'), 'tokens.bot.secret'));
  it('refuses a bare secret with no scheme', () => assertErrorAt(token('correct horse battery staple'), 'tokens.bot.secret'));
  it('reads a file: secret and strips exactly one trailing newline', () => {
    const dir = makeTempDir();
    const secretPath = writeFileWithMode(join(dir, 'bot.secret'), '0123456789abcdef\n\n', 0o600);
    const path = writeFileWithMode(join(dir, 'config.toml'), serverTable(dir) + token(`file:${secretPath}`), 0o600);
    const result = loadConfig(path);
    assert.ok(result.ok);
    assert.equal(secretOf(result.config.tokens.get('bot')?.secretSpec)?.toString(), '0123456789abcdef\n');
  });
  it('refuses a file: secret readable by others', () => {
    const dir = makeTempDir();
    const secretPath = writeFileWithMode(join(dir, 'bot.secret'), '0123456789abcdef', 0o644);
    const path = writeFileWithMode(join(dir, 'config.toml'), serverTable(dir) + token(`file:${secretPath}`), 0o600);
    const result = loadConfig(path);
    assert.ok(!result.ok && result.errors.some((e) => e.path === 'tokens.bot.secret' && e.message.includes('readable')));
  });
  it('refuses a relative file: secret', () => assertErrorAt(token('file:secrets/bot'), 'tokens.bot.secret'));
});

describe('resolveConfigPath', () => {
  it('prefers --config', () => assert.equal(resolveConfigPath('/a.toml', { PORTCULLIS_CONFIG: '/b.toml' }), '/a.toml'));
  it('honours PORTCULLIS_CONFIG outside sshd', () => assert.equal(resolveConfigPath(undefined, { PORTCULLIS_CONFIG: '/b.toml' }), '/b.toml'));
  it('ignores PORTCULLIS_CONFIG under sshd', () => {
    assert.equal(resolveConfigPath(undefined, { PORTCULLIS_CONFIG: '/b.toml', SSH_CONNECTION: '1 2 3 4' }), '/etc/portcullis/config.toml');
  });
});
