import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { makeHintsHost } from '../../testkit/hints-host.js';
import { readAudit } from '../../testkit/process.js';
import { serveOnce } from '../../testkit/serve-once.js';
import type { SshResult } from '../../testkit/sshd.js';

/** Names an untagged read caller of the hints host must never be told about. */
const HIDDEN = ['refund', 'restart', 'destroy', 'billing', 'report', 'uptimes'];

describe('attack catalog: hints name only what the caller may run (docs/protocol.md §6, §7.2)', () => {
  const host = makeHintsHost();
  const serve = (request: string): Promise<SshResult> => serveOnce(host.config, request, { argv: ['--level', 'read'] });
  /** The error with the caller's own word replaced, to compare a hidden name with a missing one. */
  const withoutWord = (result: SshResult, word: string): unknown => JSON.parse(JSON.stringify(result.json?.error ?? null).replaceAll(word, 'WORD'));

  it('POL-050 never names a hidden domain or action in a hint, whatever the request', async () => {
    const requests = [
      'uptimes', 'uptimez', 'billing', 'billing report', 'billing report /x', 'billinq report', 'report', 'reprt now',
      'app refund', 'app refun', 'app refund /x', 'app refund --help', 'app refund x=1 y', 'refund now', 'refunds',
      'restart', 'restar', 'systemctl restart myapp', 'app restart x', 'app restar', 'app destro', 'app destroy /x',
      'help billing', 'help billing report', 'help app refund', 'help app destroy', 'help app restart', 'app', 'bill | x',
      'app --refund', 'app deploy --destroy', 'app deploy refund=1', 'host disk --restart',
    ];
    for (const request of requests) {
      const result = await serve(request);
      assert.equal(result.json?.ok, false, request);
      const hint = String(result.json?.error?.hint ?? '');
      for (const name of HIDDEN.filter((n) => !request.includes(n))) {
        assert.ok(!hint.includes(name), `'${request}' got a hint naming ${name}: ${hint}`);
      }
    }
  });

  it('POL-051 answers a hidden domain exactly as a name that is not configured, hint included', async () => {
    for (const [hidden, missing] of [
      ['billing report /x', 'billinq report /x'],
      ['billing', 'billinq'],
      ['billing report', 'billinq report'],
      ['help billing', 'help billinq'],
      ['billing report | x', 'billinq report | x'],
    ] as const) {
      const [a, b] = [await serve(hidden), await serve(missing)];
      assert.equal(a.status, b.status);
      assert.deepEqual(withoutWord(a, 'billing'), withoutWord(b, 'billinq'), `${hidden} / ${missing}`);
    }
  });

  it('POL-052 answers a hidden action of a visible domain exactly as a missing one, hint included', async () => {
    for (const suffix of ['', ' /x', ' --help', ' x=1 y', ' x=1']) {
      const [a, b] = [await serve(`app refund${suffix}`), await serve(`app refunz${suffix}`)];
      assert.equal(a.status, b.status);
      assert.deepEqual(withoutWord(a, 'refund'), withoutWord(b, 'refunz'), `app refund${suffix}`);
    }
    const [a, b] = [await serve('help app refund'), await serve('help app refunz')];
    assert.deepEqual(withoutWord(a, 'refund'), withoutWord(b, 'refunz'));
  });

  it('POL-053 never suggests an action the caller may see by tag but not by level', async () => {
    for (const request of ['restart', 'restar', 'systemctl restart myapp', 'app restar']) {
      const hint = String((await serve(request)).json?.error?.hint);
      assert.ok(!hint.includes('app restart'), `${request}: ${hint}`);
    }
    const ops = await serveOnce(host.config, 'restar', { argv: ['--level', 'ops'] });
    assert.match(String(ops.json?.error?.hint), /did you mean: app restart/, 'control: the same word for a caller who may');
  });

  it('OUT-025 never echoes a sensitive value in a hint, on stdout or stderr', async () => {
    for (const request of [
      'app login password=hunter2 x',
      'app login hunter2',
      'app login --password hunter2',
      'app login --password=hunter2',
      'app login -Password=hunter2',
      'app login password=hunter2 passwrd=x',
      'app deploy version=1.2.3 password=hunter2 x',
      'app refund password=hunter2 x',
    ]) {
      const result = await serve(request);
      assert.equal(result.json?.ok, false, request);
      assert.ok(String(result.json?.error?.hint ?? '').length > 0, `${request}: no hint`);
      assert.ok(!result.stdout.includes('hunter2') && !result.stderr.includes('hunter2'), `${request} echoed the value: ${result.stdout}`);
    }
  });

  it('INJ-051 refuses | ; & after a visible domain, runs nothing, and says one action per call', async () => {
    for (const request of ['logs tail file=x | grep ERROR', 'app deploy version=1.4.2; app deploy version=0.0.1', 'host disk mount=/var && id']) {
      const result = await serve(request);
      assert.equal(result.json?.error?.code, 'bad_request');
      assert.equal(result.status, 132);
      assert.match(String(result.json?.error?.hint), /one action per call; filter the JSON on your side/);
      const records = readAudit(join(host.dir, 'audit.jsonl')).filter((r) => r.request_id === result.json?.request_id);
      assert.deepEqual(records.map((r) => [r.event, r.decision]), [['decision', 'invalid']], request);
    }
  });
});
