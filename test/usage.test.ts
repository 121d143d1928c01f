import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BUNDLE } from '../testkit/sshd.js';

// Usage of the operator commands (docs/config.md "portcullis check"; docs/install.md): help on
// stdout with exit 0, a usage error as one line on stderr with exit 2 and nothing on stdout.

function run(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(BUNDLE, args, { encoding: 'utf8', env: { PATH: '/usr/local/bin:/usr/bin:/bin' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('usage: --help and -h on every command', () => {
  for (const command of [[], ['check'], ['sign'], ['unlock'], ['verify-audit'], ['audit']]) {
    for (const flag of ['--help', '-h']) {
      it(`portcullis ${[...command, flag].join(' ')} prints help on stdout and exits 0`, () => {
        const r = run([...command, flag]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stderr, '');
        assert.match(r.stdout, command.length === 0 ? /^portcullis \d/ : new RegExp(`^usage: portcullis ${command[0] ?? ''} `));
      });
    }
  }

  it('help wins wherever it stands among a subcommand\'s options', () => {
    for (const args of [['check', '--json', '--help'], ['sign', '--token', 'bot', '-h'], ['unlock', '--token', 'bot', '--help']]) {
      const r = run(args);
      assert.equal(r.status, 0, args.join(' '));
      assert.match(r.stdout, /^usage: /);
    }
  });
});

describe('usage: errors are one line on stderr, exit 2', () => {
  const cases = [
    ['check', '--bogus'],
    ['check', '--keys'],
    ['check', '--config'],
    ['check', '--json', 'extra'],
    ['check', '--config', '/a', '--config', '/b'],
    ['check', '--keys', '/k', '--compile'],
    ['check', '--account', 'svc,user=root'],
    ['sign'],
    ['sign', '--bogus'],
    ['sign', '--token', 'bot', '--secret-env', 'X'],
    ['unlock'],
    ['unlock', '--bogus'],
    ['verify-audit', '--bogus'],
    ['verify-audit', '--audit-log'],
    ['verify-audit', '--key', 'file:/k'],
    ['audit'],
    ['audit', 'bogus'],
    ['audit', 'seal'],
    ['audit', 'seal', '--audit-log', '/a', '--audit-log', '/b'],
  ];
  for (const args of cases) {
    it(`portcullis ${args.join(' ')}`, () => {
      const r = run(args);
      assert.equal(r.status, 2);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.split('\n').length, 2, `one line: ${JSON.stringify(r.stderr)}`);
      assert.ok(r.stderr.startsWith(`portcullis ${args[0] ?? ''}: `), r.stderr);
      assert.match(r.stderr, /usage: portcullis /);
    });
  }
});
