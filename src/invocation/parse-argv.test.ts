import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseInvocation, type Invocation } from './index.js';

const serve = (invocation: Invocation) => {
  assert.equal(invocation.mode, 'serve', JSON.stringify(invocation));
  return invocation as Extract<Invocation, { mode: 'serve' }>;
};

describe('parseInvocation: the three forms of CONTRACT §2.1', () => {
  it('form A: options in argv, the request in SSH_ORIGINAL_COMMAND', () => {
    const r = serve(parseInvocation(['--level', 'ops', '--identity=ci', '--tags', 'web,db'], { SSH_ORIGINAL_COMMAND: 'app run' }));
    assert.equal(r.request, 'app run');
    assert.deepEqual({ ...r.options }, { config: undefined, level: 'ops', identity: 'ci', tags: ['web', 'db'], diagnostic: false });
  });
  it('form B: the request is the -c string, level read by default', () => {
    const r = serve(parseInvocation(['-c', 'app run x=1'], {}));
    assert.equal(r.request, 'app run x=1');
    assert.equal(r.options.level, 'read');
  });
  it('form B with a wrapper: options before -c apply', () => {
    const r = serve(parseInvocation(['--config', '/etc/x.toml', '-c', 'help'], {}));
    assert.equal(r.options.config, '/etc/x.toml');
    assert.equal(r.request, 'help');
  });
  it('forms A+B: the -c line is the forced command; its options override those before -c', () => {
    const r = serve(parseInvocation(['--level', 'read', '--identity', 'wrapper', '-c', '/usr/local/bin/portcullis --level admin --identity key1'], { SSH_ORIGINAL_COMMAND: 'app deploy' }));
    assert.equal(r.request, 'app deploy');
    assert.equal(r.options.level, 'admin');
    assert.equal(r.options.identity, 'key1');
  });
  it('forms A+B with no client command: no request, and none of the forced line applies', () => {
    const r = serve(parseInvocation(['-c', 'portcullis --level admin'], {}, '/usr/local/bin/portcullis'));
    assert.equal(r.request, null);
    assert.equal(r.options.level, 'read');
  });
  it('no request at all: request null', () => assert.equal(serve(parseInvocation([], {})).request, null));
});

describe('parseInvocation: refusals are bad-options (service_unavailable)', () => {
  const bad: Array<[string, string[], Record<string, string>]> = [
    ['an unknown option', ['--allow-all'], {}],
    ['a bad level', ['--level', 'root'], {}],
    ['a missing value', ['--level'], {}],
    ['a relative --config', ['--config', 'x.toml'], {}],
    ['bad tags', ['--tags', 'Web'], {}],
    ['-c not at the end', ['-c', 'help', '--level', 'ops'], {}],
    ['a bad option in the forced line', ['-c', 'portcullis --level root'], { SSH_ORIGINAL_COMMAND: 'help' }],
  ];
  for (const [name, argv, env] of bad) it(`refuses ${name}`, () => assert.equal(parseInvocation(argv, env).mode, 'bad-options'));
  it('remembers --diagnostic even when the options are bad', () => {
    const r = parseInvocation(['--diagnostic', '--bogus'], {});
    assert.ok(r.mode === 'bad-options' && r.diagnostic);
  });
});

describe('parseInvocation: a request never selects a subcommand or an option', () => {
  it('runs check only when argv[0] says so', () => assert.equal(parseInvocation(['check', '--json'], {}).mode, 'check'));
  it('treats "check" sent as a login-shell command as a request', () => assert.equal(serve(parseInvocation(['-c', 'check'], {})).request, 'check'));
  it('runs unlock only when argv[0] says so', () => assert.deepEqual(parseInvocation(['unlock', '--token', 'bot'], {}), { mode: 'unlock', args: ['--token', 'bot'] }));
  it('treats "unlock" sent as a request as a request, never the subcommand', () => {
    assert.equal(serve(parseInvocation(['-c', 'unlock --token bot'], {})).request, 'unlock --token bot');
    assert.equal(serve(parseInvocation(['--level', 'read'], { SSH_ORIGINAL_COMMAND: 'unlock --address 192.0.2.1' })).request, 'unlock --address 192.0.2.1');
  });
  it('treats "--version" sent as a login-shell command as a request', () => assert.equal(serve(parseInvocation(['-c', '--version'], {})).request, '--version'));
  it('takes options from SSH_ORIGINAL_COMMAND never', () => {
    const r = serve(parseInvocation([], { SSH_ORIGINAL_COMMAND: '--level admin app run' }));
    assert.equal(r.options.level, 'read');
  });
});
