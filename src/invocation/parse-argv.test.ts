import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyForcedLine, parseInvocation, UNTRUSTED_FORCED_LINE, type Invocation } from './index.js';

const SSHD = { SSH_CONNECTION: '192.0.2.1 5555 192.0.2.2 22' };

const serve = (invocation: Invocation) => {
  assert.equal(invocation.mode, 'serve', JSON.stringify(invocation));
  return invocation as Extract<Invocation, { mode: 'serve' }>;
};

describe('parseInvocation: the three forms of docs/protocol.md §2.1', () => {
  it('form A: options in argv, the request in SSH_ORIGINAL_COMMAND', () => {
    const r = serve(parseInvocation(['--level', 'ops', '--identity=ci', '--tags', 'web,db'], { ...SSHD, SSH_ORIGINAL_COMMAND: 'app run' }));
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
  it('forms A+B: the -c line is the forced command; its options override those before -c, once trusted', () => {
    const r = serve(parseInvocation(['--level', 'read', '--identity', 'wrapper', '-c', '/usr/local/bin/portcullis --level admin --identity key1'], { SSH_ORIGINAL_COMMAND: 'app deploy' }));
    assert.equal(r.request, 'app deploy');
    assert.equal(r.options.level, 'read', 'not before the config trusts the line');
    assert.equal(r.options.identity, 'wrapper');
    assert.equal(r.forcedLine?.options?.level, 'admin');
    assert.equal(r.forcedLine?.options?.identity, 'key1');
  });
  it('forms A+B: a -c line of only the program name holds nothing to trust', () => {
    const r = serve(parseInvocation(['--level', 'ops', '-c', ' /usr/local/bin/portcullis '], { SSH_ORIGINAL_COMMAND: 'app deploy' }));
    assert.equal(r.forcedLine, null);
    assert.equal(r.options.level, 'ops');
    assert.equal(r.request, 'app deploy');
  });
  it('forms A+B: the forced line keeps the options before -c that it does not name', () => {
    const r = serve(parseInvocation(['--config', '/etc/x.toml', '--tags', 'web', '-c', 'portcullis --level ops'], { ...SSHD, SSH_ORIGINAL_COMMAND: 'help' }));
    assert.deepEqual({ ...r.forcedLine?.options }, { config: '/etc/x.toml', level: 'ops', identity: undefined, tags: ['web'], diagnostic: false });
  });
  it('forms A+B with no client command: no request, and none of the forced line applies', () => {
    const r = serve(parseInvocation(['-c', 'portcullis --level admin'], {}, '/usr/local/bin/portcullis'));
    assert.equal(r.request, null);
    assert.equal(r.options.level, 'read');
  });
  it('no request at all: request null', () => assert.equal(serve(parseInvocation([], {})).request, null));
  it('outside sshd the details are always shown; under sshd only with --diagnostic', () => {
    assert.equal(serve(parseInvocation(['-c', 'help'], {})).options.diagnostic, true);
    assert.equal(serve(parseInvocation(['-c', 'help'], SSHD)).options.diagnostic, false);
    const bad = parseInvocation(['--level', 'root'], {});
    assert.ok(bad.mode === 'bad-options' && bad.diagnostic);
    const forced = serve(parseInvocation(['-c', 'portcullis --level ops'], { SSH_ORIGINAL_COMMAND: 'help' }));
    assert.equal(forced.forcedLine?.options?.diagnostic, true);
  });
});

describe('parseInvocation: refusals are bad-options (service_unavailable)', () => {
  const bad: Array<[string, string[], Record<string, string>]> = [
    ['an unknown option', ['--allow-all'], {}],
    ['a bad level', ['--level', 'root'], {}],
    ['a missing value', ['--level'], {}],
    ['a relative --config', ['--config', 'x.toml'], {}],
    ['bad tags', ['--tags', 'Web'], {}],
    ['-c not at the end', ['-c', 'help', '--level', 'ops'], {}],
    ['a repeated option', ['--level', 'read', '--level', 'admin'], {}],
    ['a repeated option in --opt=value form', ['--tags=web', '--tags', 'db'], {}],
    ['a repeated --diagnostic', ['--diagnostic', '--diagnostic'], {}],
  ];
  for (const [name, argv, env] of bad) it(`refuses ${name}`, () => assert.equal(parseInvocation(argv, env).mode, 'bad-options'));
  it('remembers --diagnostic even when the options are bad', () => {
    const r = parseInvocation(['--diagnostic', '--bogus'], {});
    assert.ok(r.mode === 'bad-options' && r.diagnostic);
  });
  it('remembers --diagnostic after a bad option too', () => {
    const r = parseInvocation(['--level', 'root', '--diagnostic', '-c', 'help'], {});
    assert.ok(r.mode === 'bad-options' && r.diagnostic);
  });
  it('never takes --diagnostic from the -c string when the options before it are bad', () => {
    for (const line of ['--diagnostic', 'x --diagnostic']) {
      const r = parseInvocation(['--bogus', '-c', line], { ...SSHD, SSH_ORIGINAL_COMMAND: 'help' });
      assert.ok(r.mode === 'bad-options' && !r.diagnostic, line);
    }
  });
  it('carries a bad option of the forced line, with its --diagnostic, for the trust decision', () => {
    const r = serve(parseInvocation(['-c', 'portcullis --diagnostic --level root'], { SSH_ORIGINAL_COMMAND: 'help' }));
    assert.equal(r.forcedLine?.options, null);
    assert.match(r.forcedLine?.error ?? '', /level/);
    assert.equal(r.forcedLine?.diagnostic, true);
  });
  it('refuses a repeated option within the forced line, but not one that overrides the options before -c', () => {
    const repeated = serve(parseInvocation(['-c', 'portcullis --level ops --level admin'], { SSH_ORIGINAL_COMMAND: 'help' }));
    assert.equal(repeated.forcedLine?.options, null);
    const overriding = serve(parseInvocation(['--level', 'read', '-c', 'portcullis --level admin'], { SSH_ORIGINAL_COMMAND: 'help' }));
    assert.equal(overriding.forcedLine?.options?.level, 'admin');
  });
});

describe('applyForcedLine: forced-line trust (docs/protocol.md §2.1)', () => {
  const invocation = (argv: string[]) => serve(parseInvocation(argv, { ...SSHD, SSH_ORIGINAL_COMMAND: 'app deploy' }));
  it('applies nothing of an untrusted line, --diagnostic included, and says why', () => {
    const r = invocation(['--level', 'read', '-c', 'x --level admin --identity forged --diagnostic']);
    const verdict = applyForcedLine(r.options, r.forcedLine, false);
    assert.deepEqual(verdict, { ok: false, detail: UNTRUSTED_FORCED_LINE, diagnostic: false });
  });
  it('keeps the diagnostic of the options before -c when refusing an untrusted line', () => {
    const r = invocation(['--diagnostic', '-c', 'x --level admin']);
    assert.deepEqual(applyForcedLine(r.options, r.forcedLine, false), { ok: false, detail: UNTRUSTED_FORCED_LINE, diagnostic: true });
  });
  it('applies a trusted line', () => {
    const r = invocation(['-c', 'portcullis --level ops --identity k1 --config /etc/y.toml']);
    const verdict = applyForcedLine(r.options, r.forcedLine, true);
    assert.ok(verdict.ok);
    assert.equal(verdict.options.level, 'ops');
    assert.equal(verdict.options.config, '/etc/y.toml');
  });
  it('refuses a trusted line with a bad option, honouring its --diagnostic', () => {
    const r = invocation(['-c', 'portcullis --bogus --diagnostic']);
    const verdict = applyForcedLine(r.options, r.forcedLine, true);
    assert.ok(!verdict.ok && verdict.diagnostic);
  });
  it('needs no trust when there is no forced line', () => {
    const r = invocation(['--level', 'ops', '-c', 'portcullis']);
    assert.deepEqual(applyForcedLine(r.options, r.forcedLine, false), { ok: true, options: r.options });
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
