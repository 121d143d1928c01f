import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configFrom } from '../../testkit/config.js';
import { parseOperatorOptions } from '../invocation/parse-argv.js';
import { parseKeyOptions } from './_key-options.js';
import { lintEntry, type LintContext } from './_keys-lint.js';

const { config, path } = configFrom(`
[domains.app]
description = "App"
[domains.app.actions.status]
description = "Status"
level = "read"
exec = ["/bin/echo", "ok"]
`);

function lint(optionsText: string, overrides: Partial<LintContext> = {}) {
  const options = parseKeyOptions(optionsText);
  assert.ok(options.ok, optionsText);
  const context: LintContext = { forcedLine: true, account: 'svc', defaultConfig: path, configAt: (p) => (p === path ? config : `${p} does not load`), serveOptions: parseOperatorOptions, ...overrides };
  return lintEntry({ kind: 'principal', options: options.options, principal: 'deploy' }, 3, context);
}

const codes = (result: ReturnType<typeof lint>): string[] => result.findings.map((f) => `${f.error ? 'error' : 'warning'}:${f.code}`).sort();

describe('lintEntry: one key or principal against the config', () => {
  it('passes a restricted key with from= and a plain forced line, and lists what it sees', () => {
    const result = lint('restrict,from="10.0.0.1",command="/usr/local/bin/portcullis --identity ci"');
    assert.deepEqual(result.findings, []);
    assert.deepEqual([result.entry.served, result.entry.identity, result.entry.level, result.entry.actions], ['command', 'ci', 'read', ['app status']]);
  });

  it('identity defaults to the account; unknown account shows as null', () => {
    assert.equal(lint('restrict,from="x",command="portcullis"').entry.identity, 'svc');
    assert.equal(lint('restrict,from="x",command="portcullis"', { account: null }).entry.identity, null);
  });

  it('warns on environment=, ~/.ssh/rc and --diagnostic', () => {
    assert.deepEqual(codes(lint('restrict,from="x",environment="NODE_OPTIONS=--require=/x",command="portcullis --diagnostic"')), ['warning:command_diagnostic', 'warning:key_environment']);
    assert.deepEqual(codes(lint('no-pty,no-port-forwarding,no-agent-forwarding,no-x11-forwarding,from="x",command="portcullis"')), ['warning:key_user_rc']);
  });

  it('names a config the line points to that does not load, but not the default one twice', () => {
    assert.deepEqual(codes(lint('restrict,from="x",command="portcullis --config /nonexistent.toml"')), ['error:command_config_invalid']);
    const broken = lint('restrict,from="x",command="portcullis"', { configAt: () => 'broken' });
    assert.deepEqual(broken.findings, []);
    assert.equal(broken.entry.actions, null);
  });

  it('a key without command= is an error only under forced_line = true', () => {
    assert.deepEqual(codes(lint('restrict,from="x"')), ['error:key_no_command']);
    assert.deepEqual(codes(lint('restrict,from="x"', { forcedLine: false })), ['warning:key_no_command']);
    assert.deepEqual(codes(lint('restrict,from="x",command="portcullis --level ops"', { forcedLine: false })), ['warning:command_untrusted']);
  });
});
