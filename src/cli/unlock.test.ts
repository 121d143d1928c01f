import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { authenticate } from '../auth/index.js';
import { parseRequest } from '../request/index.js';
import { configFrom } from '../../testkit/config.js';
import { signedRequestLine } from './sign.js';
import { runUnlock } from './unlock.js';

const SECRET = Buffer.alloc(32, 0x42);
const T0 = Math.floor(Date.now() / 1000);

function host() {
  return configFrom(
    `[tokens.bot]\nsecret = "hex:${SECRET.toString('hex')}"\nlevel = "admin"\n[tokens.other]\nsecret = "hex:${'cd'.repeat(16)}"\nlevel = "ops"\n`,
    'max_auth_failures = 2\nlockout_seconds = 600\nid = "h"',
  );
}

function attempt(config: ReturnType<typeof host>['config'], opts: { token?: string; good?: boolean; address?: string | null; caller?: string }) {
  const nonce = Math.random().toString(16).slice(2, 10).padEnd(8, '0') + 'deadbeef';
  const line = signedRequestLine(opts.good ? SECRET : Buffer.alloc(32, 1), 'h', opts.token ?? 'bot', String(T0), nonce, 'app run');
  const parsed = parseRequest(line, 8192);
  assert.ok(parsed.ok && parsed.value.proofFields !== null);
  const result = authenticate(config, parsed.value.proofFields, parsed.value.commandText, { address: opts.address ?? null, caller: opts.caller ?? 'key SHA256:a' }, T0 * 1000);
  return result.ok ? 'ok' : result.error.code;
}

function unlock(path: string, ...args: string[]): { status: number; out: string; err: string } {
  let out = '';
  let err = '';
  const status = runUnlock(['--config', path, ...args], { env: {}, out: (t) => (out += t), err: (t) => (err += t) });
  return { status, out, err };
}

describe('portcullis unlock: usage', () => {
  const bad: Array<[string, string[]]> = [
    ['no target', []],
    ['two targets', ['--token', 'bot', '--address', '192.0.2.1']],
    ['a repeated option', ['--token', 'bot', '--token', 'bot']],
    ['a token that is not a name', ['--token', '../bot']],
    ['an address that is not an IP address', ['--address', 'host.example']],
    ['an unknown option', ['--token', 'bot', '--all']],
    ['a missing value', ['--token']],
    ['a relative config path', ['--config', 'config.toml', '--token', 'bot']],
  ];
  for (const [name, args] of bad) {
    it(`exits 2 with one line on stderr for ${name}`, () => {
      let out = '';
      let err = '';
      const status = runUnlock(args, { env: {}, out: (t) => (out += t), err: (t) => (err += t) });
      assert.equal(status, 2);
      assert.equal(out, '');
      assert.equal(err.split('\n').length, 2, err);
      assert.ok(err.startsWith('portcullis unlock: '));
    });
  }
  it('--help prints the usage and exits 0', () => {
    let out = '';
    assert.equal(runUnlock(['--help'], { env: {}, out: (t) => (out += t), err: () => assert.fail('stderr') }), 0);
    assert.ok(out.startsWith('usage: portcullis unlock '));
  });
  it('exits 129 when the config is invalid', () => {
    const { path } = host();
    rmSync(path);
    assert.equal(unlock(path, '--token', 'bot').status, 129);
  });
});

describe('portcullis unlock: what it clears', () => {
  it('--token clears that token for every caller, and nothing else', () => {
    const { config, path } = host();
    for (const caller of ['key SHA256:a', 'key SHA256:b']) for (let i = 0; i < 2; i++) attempt(config, { caller });
    for (let i = 0; i < 2; i++) attempt(config, { token: 'other', caller: 'key SHA256:a' });
    assert.equal(attempt(config, { good: true, caller: 'key SHA256:a' }), 'locked_out');
    const result = unlock(path, '--token', 'bot');
    assert.equal(result.status, 0, result.err);
    assert.match(result.out, /2 callers/);
    assert.equal(attempt(config, { good: true, caller: 'key SHA256:a' }), 'ok');
    assert.equal(attempt(config, { good: true, caller: 'key SHA256:b' }), 'ok');
    assert.equal(attempt(config, { token: 'other', caller: 'key SHA256:a' }), 'locked_out');
  });
  it('--address clears that address, whatever form it is written in', () => {
    const { config, path } = host();
    for (let i = 0; i < 2; i++) attempt(config, { address: '2001:db8::5', caller: `identity c${i}` });
    assert.equal(attempt(config, { good: true, address: '2001:db8::5', caller: 'identity fresh' }), 'locked_out');
    assert.equal(unlock(path, '--address', '2001:DB8:0:0:0:0:0:5').status, 0);
    assert.equal(attempt(config, { good: true, address: '2001:db8::5', caller: 'identity fresh' }), 'ok');
  });
  it('a name that is not configured clears the counter all unknown names share', () => {
    const { config, path } = host();
    for (let i = 0; i < 2; i++) attempt(config, { token: `ghost${i}` });
    assert.equal(attempt(config, { token: 'ghost9' }), 'locked_out');
    assert.equal(unlock(path, '--token', 'ghost9').status, 0);
    assert.equal(attempt(config, { token: 'ghost9' }), 'auth_failed');
  });
  it('--signer clears the same storage under the signer kind, and does not touch tokens', () => {
    const { config, path } = host();
    for (let i = 0; i < 2; i++) attempt(config, {});
    assert.equal(unlock(path, '--signer', 'bot').status, 0);
    assert.equal(attempt(config, { good: true }), 'locked_out');
  });
  it('creates nothing when nothing was ever recorded, and says so', () => {
    const { config, path } = host();
    const result = unlock(path, '--token', 'bot');
    assert.equal(result.status, 0);
    assert.match(result.out, /no failure counters/);
    assert.ok(!existsSync(join(config.server.stateDir)), 'unlock created the state dir');
  });
});
