import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeAttackHost, type AttackHost } from '../../testkit/attack-config.js';
import { assertOutcome, ran, refused } from '../../testkit/attack-rows.js';
import { serveOnce } from '../../testkit/serve-once.js';
import { BUNDLE } from '../../testkit/sshd.js';
import { makeTempDir, serverTable, writeFileWithMode } from '../../testkit/tmp.js';
import { compiledPathFor } from '../../src/config/index.js';

// docs/config.md "Compiled form", ADR 0019: every line of the compiled form is checked
// before use; a defect falls back to the full loader and the audit detail says why.

type Json = Record<string, any>;

/** check --compile through the bundle (exit 129 here: the host has an action whose program is missing). */
function compile(host: AttackHost): string {
  spawnSync(BUNDLE, ['check', '--config', host.config, '--compile'], { stdio: 'ignore' });
  return compiledPathFor(host.config);
}

/** Compiles, then edits the parsed line of `domain` (or the header, for null) and writes it back. */
function compileAndEdit(host: AttackHost, domain: string | null, edit: (line: Json) => void): void {
  const path = compile(host);
  const lines = readFileSync(path, 'utf8').split('\n');
  const header = JSON.parse(lines[0] as string) as Json;
  const index = domain === null ? 0 : 1 + (header.domains as string[]).indexOf(domain);
  assert.ok(index >= 0 && lines[index] !== undefined, `no line for ${domain}`);
  const line = JSON.parse(lines[index] as string) as Json;
  edit(line);
  lines[index] = JSON.stringify(line);
  writeFileSync(path, lines.join('\n'));
}

function action(line: Json, name: string): Json {
  const found = (line.actions as Json[]).find((a) => a.name === name);
  assert.ok(found, `no action ${name}`);
  return found;
}

function lastDecision(host: AttackHost): Json {
  const decision = host.audit().filter((record) => record.event === 'decision').at(-1);
  assert.ok(decision, 'no decision record');
  return decision;
}

const admin = { argv: ['--level', 'admin'] };
const ops = { argv: ['--level', 'ops'] };

describe('attack catalog: the compiled form is checked before use (docs/config.md "Compiled form")', () => {
  it('CFG-053 never serves an action level forged to "root" in a compiled line: the config is served and the detail says why', async () => {
    const host = makeAttackHost();
    compileAndEdit(host, 'app', (line) => (action(line, 'deploy').level = 'root'));

    const help = await serveOnce(host.config, 'help app deploy', admin);
    assert.equal(help.json?.ok, true, help.stdout);
    assert.equal(help.json?.domains?.[0]?.actions?.[0]?.level, 'admin', 'help echoes the config level, not the forged one');
    assert.match(lastDecision(host).detail, /^compiled form ignored: line of domain app: domains\.app\.actions\[\d+\]\.level is not a level/);

    assertOutcome(await serveOnce(host.config, 'app deploy', admin), ran('deployed stable\n'));
    assertOutcome(await serveOnce(host.config, 'app deploy', ops), refused('insufficient_level'));
    assert.match(lastDecision(host).detail, /compiled form ignored: line of domain app/);
  });

  it('CFG-054 serves a domain whose compiled line is corrupted from the config, and the other lines from the compiled form', async () => {
    const host = makeAttackHost();
    const path = compile(host);
    const lines = readFileSync(path, 'utf8').split('\n');
    const header = JSON.parse(lines[0] as string) as Json;
    const app = 1 + (header.domains as string[]).indexOf('app');
    lines[app] = (lines[app] as string).slice(0, 100);
    writeFileSync(path, lines.join('\n'));

    assertOutcome(await serveOnce(host.config, 'app status'), ran('status ok\n'));
    assert.equal(lastDecision(host).detail, 'compiled form ignored: line of domain app: is not JSON');
    assertOutcome(await serveOnce(host.config, 'shared open'), ran('open\n'));
    assert.equal(lastDecision(host).detail, undefined, 'an intact line is served with nothing to say');
  });

  const MUTATIONS: ReadonlyArray<readonly [string, (restart: Json) => void, RegExp]> = [
    ['a timeout as text', (a) => (a.timeout = '60'), /\.timeout is not an integer/],
    ['an int bound as text', (a) => (a.args[0].max = '10'), /\.args\[0\]\.max is not an integer or null/],
    ['an unknown key', (a) => (a.shell = true), /\.shell is not a known key/],
    ['a missing key', (a) => delete a.cwd, /lacks cwd/],
    ['an exec element as a bare string', (a) => (a.exec[1] = 'restarted {n}'), /\.exec\[1\] is not an object/],
    ['stdin as true', (a) => (a.stdin = true), /\.stdin is not an object/],
    ['an undeclared placeholder', (a) => a.exec[1].parts.push({ placeholder: 'secret' }), /\.exec\[1\]\.parts\[\d+\] is not a declared placeholder/],
    ['a relative program', (a) => (a.exec[0] = { source: 'echo', parts: [{ literal: 'echo' }] }), /\.exec\[0\] is not an absolute path/],
    ['an argument type outside the set', (a) => (a.args[0].type = 'shell'), /\.args\[0\]\.type is not an argument type/],
    ['a default outside its bounds', (a) => (a.args[0].default = '-1'), /\.args\[0\]\.default is not a value of its type/],
  ];
  for (const [what, mutate, detail] of MUTATIONS) {
    it(`CFG-055 serves the config, not a compiled line with ${what}, and names the defect`, async () => {
      const host = makeAttackHost();
      compileAndEdit(host, 'app', (line) => mutate(action(line, 'restart')));
      assertOutcome(await serveOnce(host.config, 'app restart n=3', ops), ran('restarted 3\n'));
      assert.match(lastDecision(host).detail, detail);
    });
  }

  it('CFG-056 loads the config in full when the compiled form is cut, of another format, or stale, and says which', async () => {
    const cases: ReadonlyArray<readonly [string, (text: string, host: AttackHost) => string, RegExp]> = [
      ['cut', (text) => text.slice(0, text.length - 200), /^compiled form ignored: it does not hold exactly the \d+ domain lines/],
      ['another format', (text) => text.replace(/"format":"portcullis-compiled-config\/[^"]*"/, '"format":"portcullis-compiled-config/0123456789abcdef01234567"'), /^compiled form ignored: it is of format "portcullis-compiled-config\/0123/],
      ['header not JSON', (text) => `{${text}`, /^compiled form ignored: its header line is not JSON/],
      ['stale', (text, host) => (writeFileSync(host.config, `${readFileSync(host.config, 'utf8')}\n# edited\n`), text), /^compiled form ignored: it is stale/],
    ];
    for (const [what, change, detail] of cases) {
      const host = makeAttackHost();
      const path = compile(host);
      writeFileSync(path, change(readFileSync(path, 'utf8'), host));
      assertOutcome(await serveOnce(host.config, 'app status'), ran('status ok\n'));
      assert.match(lastDecision(host).detail ?? '', detail, what);
    }
  });

  it('CFG-059 never grants a token level forged in the compiled header: the config is served', async () => {
    const host = makeAttackHost();
    compileAndEdit(host, null, (header) => (header.tokens[0].level = 'root'));
    assertOutcome(await serveOnce(host.config, 'app status'), ran('status ok\n'));
    assert.match(lastDecision(host).detail, /^compiled form ignored: header: tokens\[0\]\.level is not a level/);
  });

  it('CFG-057 check names the defect of a compiled form it would not serve', () => {
    const host = makeAttackHost();
    compileAndEdit(host, 'app', (line) => (action(line, 'deploy').level = 'root'));
    const checked = spawnSync(BUNDLE, ['check', '--config', host.config, '--json'], { encoding: 'utf8' });
    const report = JSON.parse(checked.stdout) as Json;
    const compiled = (report.warnings as Json[]).filter((w) => w.path === '(compiled)');
    assert.equal(compiled.length, 1, checked.stdout);
    assert.match(compiled[0]?.message, /line of domain app: domains\.app\.actions\[\d+\]\.level is not a level/);
    compile(host);
    const again = JSON.parse(spawnSync(BUNDLE, ['check', '--config', host.config, '--json'], { encoding: 'utf8' }).stdout) as Json;
    assert.deepEqual((again.warnings as Json[]).filter((w) => w.path === '(compiled)'), [], 'control: a fresh form is not reported');
  });
});

describe('check --compile reports its result (docs/config.md "portcullis check")', () => {
  function validConfig(): string {
    const dir = makeTempDir();
    return writeFileWithMode(join(dir, 'config.toml'), `${serverTable(dir)}\n[domains.app]\ndescription = "App"\n[domains.app.actions.status]\ndescription = "Status"\nlevel = "read"\nexec = ["/bin/true"]\n`, 0o644);
  }

  it('CFG-058 exits 129 with a (compiled) error when the compiled form cannot be written, 0 and its path when it was', () => {
    const config = validConfig();
    mkdirSync(compiledPathFor(config)); // a directory where the file must go: rename fails, even for root
    const failed = spawnSync(BUNDLE, ['check', '--config', config, '--compile', '--json'], { encoding: 'utf8' });
    assert.equal(failed.status, 129, failed.stdout);
    const report = JSON.parse(failed.stdout) as Json;
    assert.equal(report.ok, false);
    assert.equal(report.compiled, null);
    assert.deepEqual(report.errors.map((e: Json) => e.path), ['(compiled)']);
    assert.match(report.errors[0].message, /^not written: /);

    const good = validConfig();
    const written = spawnSync(BUNDLE, ['check', '--config', good, '--compile', '--json'], { encoding: 'utf8' });
    assert.equal(written.status, 0, written.stdout);
    assert.equal((JSON.parse(written.stdout) as Json).compiled, compiledPathFor(good));
    const text = spawnSync(BUNDLE, ['check', '--config', good, '--compile'], { encoding: 'utf8' });
    assert.equal(text.status, 0);
    assert.ok(text.stdout.includes(`compiled form: written to ${compiledPathFor(good)}\n`), text.stdout);
  });
});
