import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { makeHintsHost } from '../testkit/hints-host.js';
import { serveOnce } from '../testkit/serve-once.js';
import type { SshResult } from '../testkit/sshd.js';

/** The refusal's hint, after checking its code and exit status and that it names no template. */
function hintOf(result: SshResult, code: string, exit: number): string {
  assert.equal(result.json?.error?.code, code, result.stdout);
  assert.equal(result.status, exit);
  const hint = String(result.json?.error?.hint);
  assert.doesNotMatch(hint, /<domain>|<action>|help <|<word>/, `a template in: ${hint}`);
  return hint;
}

function includesAll(text: string, parts: readonly string[]): void {
  for (const part of parts) assert.ok(text.includes(part), `'${part}' missing from: ${text}`);
}

/** Issue 13's measured agent mistakes, each through the built bundle (docs/protocol.md §7.2). */
describe('answers that teach: the measured mistakes', () => {
  const host = makeHintsHost();

  it('uptime: the full request to try, not help for a word that is no domain', async () => {
    const hint = hintOf(await host.serve('uptime'), 'bad_request', 132);
    includesAll(hint, ['this is not a shell', 'did you mean: infra uptime', 'try: list']);
    assert.ok(!hint.includes('help uptime'));
  });

  it('a near miss of an action name gets the same full request', async () => {
    includesAll(hintOf(await host.serve('uptme'), 'bad_request', 132), ['did you mean: infra uptime']);
    includesAll(hintOf(await host.serve('uptime now'), 'unknown_domain', 128), ['did you mean: infra uptime']);
  });

  for (const request of ['ls', 'df -h', 'cat /path', 'systemctl restart myapp']) {
    it(`${request}: this is not a shell; the request form in words; try: list`, async () => {
      const hint = hintOf(await host.serve(request), 'bad_request', 132);
      includesAll(hint, ['this is not a shell', 'domain action name=value', 'try: list']);
      assert.ok(!hint.includes('did you mean'), `a short shell word is sent nowhere: ${hint}`);
    });
  }

  it('systemctl restart myapp: a caller who may restart is pointed at the real action', async () => {
    const hint = hintOf(await host.serve('systemctl restart myapp', ['--level', 'ops']), 'bad_request', 132);
    includesAll(hint, ['this is not a shell', 'did you mean: app restart']);
  });

  it('host disk /var: a one-argument action suggests mount=/var', async () => {
    assert.equal(hintOf(await host.serve('host disk /var'), 'bad_request', 132), 'try: host disk mount=/var');
  });

  it('host disk --mount=/var and --mount /var: the same suggestion', async () => {
    assert.equal(hintOf(await host.serve('host disk --mount=/var'), 'bad_request', 132), 'try: host disk mount=/var');
    assert.equal(hintOf(await host.serve('host disk --mount /var'), 'bad_request', 132), 'try: host disk mount=/var');
  });

  it('a positional word to an action of several arguments lists the accepted names', async () => {
    includesAll(hintOf(await host.serve('app deploy 1.4.2'), 'bad_request', 132), ['accepted: version, note', 'see: help app deploy']);
  });

  for (const request of ['app deploy --help', 'app deploy help', 'app deploy -h']) {
    it(`${request}: try: help app deploy`, async () => {
      assert.equal(hintOf(await host.serve(request), 'bad_request', 132), 'try: help app deploy');
    });
  }

  it('app --help and app help: try: help app', async () => {
    assert.equal(hintOf(await host.serve('app --help'), 'bad_request', 132), 'try: help app');
    assert.equal(hintOf(await host.serve('app help'), 'unknown_action', 128), 'try: help app');
  });

  it('logs tail file=x | grep ERROR: one action per call; filter the JSON on your side', async () => {
    includesAll(hintOf(await host.serve('logs tail file=x | grep ERROR'), 'bad_request', 132), ['one action per call; filter the JSON on your side']);
    includesAll(hintOf(await host.serve('ls | grep x'), 'bad_request', 132), ['this is not a shell', 'one action per call']);
    includesAll(hintOf(await host.serve('list | grep app'), 'bad_request', 132), ['one action per call', 'try: list']);
  });

  it('note=hotfix for login split by the local shell: the whole request in one quoted argument', async () => {
    const hint = hintOf(await host.serve('app deploy version=1.4.2 note=hotfix for login'), 'bad_request', 132);
    includesAll(hint, ['local shell removed the quotes', `ssh <host> 'app deploy version=1.4.2 note="hotfix for login"'`]);
  });

  it('a visible domain written in capitals or with dashes is named as it is written', async () => {
    assert.equal(hintOf(await host.serve('HOST disk mount=/var'), 'bad_request', 132), 'did you mean: host; names are lowercase letters, digits, - and _; try: help host');
    assert.match(hintOf(await host.serve('--host disk'), 'bad_request', 132), /did you mean: host;/);
  });

  it('a domain with no action lists its visible actions', async () => {
    assert.equal(hintOf(await host.serve('host'), 'bad_request', 132), 'actions in host: disk; try: help host');
  });

  it('an unknown action gets a did-you-mean and the visible actions', async () => {
    includesAll(hintOf(await host.serve('app deplyo'), 'unknown_action', 128), ['did you mean: app deploy', 'actions in app: deploy, login']);
  });

  it('a pattern mismatch shows the pattern and the real help call', async () => {
    const result = await host.serve('app deploy version=1');
    includesAll(hintOf(result, 'bad_argument', 128), ['[0-9]+\\.[0-9]+\\.[0-9]+', 'see: help app deploy']);
    assert.equal(result.json?.error?.argument, 'version');
  });

  it('an unknown argument name gets a did-you-mean and the accepted names', async () => {
    includesAll(hintOf(await host.serve('app deploy versoin=1.4.2'), 'bad_argument', 128), ['did you mean: version=', 'accepted: version, note', 'see: help app deploy']);
  });

  it('a missing argument gets the request to try', async () => {
    includesAll(hintOf(await host.serve('app deploy'), 'bad_argument', 128), ['try: app deploy version=…', 'see: help app deploy']);
  });

  it('help with extra words names the help call to make', async () => {
    assert.match(hintOf(await host.serve('help app deploy now'), 'bad_request', 132), /try: help app deploy$/);
    assert.match(hintOf(await host.serve('list all'), 'bad_request', 132), /try: list$/);
  });

  it('an action whose stdin never ends hints < file or ssh -n', async () => {
    const never = (): Readable => new Readable({ read: () => undefined });
    const result = await serveOnce(host.config, 'logs import', { stdinStream: never });
    includesAll(hintOf(result, 'timeout', 124), [`ssh <host> 'logs import' < file`, 'ssh -n']);
  });

  it('no command at all: the exact hint of docs/protocol.md §2.1', async () => {
    const result = await serveOnce(host.config, null);
    assert.equal(hintOf(result, 'bad_request', 132), 'no command given; try: ssh <host> help (many requests: ssh -T <host> session)');
  });
});
