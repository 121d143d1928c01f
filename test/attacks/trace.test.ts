import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { makeAttackHost } from '../../testkit/attack-config.js';
import { assertOutcome, refused } from '../../testkit/attack-rows.js';
import { runBundle } from '../../testkit/bundle.js';
import { SyslogReceiver } from '../../testkit/syslog-receiver.js';
import { makeChainHost } from '../../testkit/audit-chain.js';
import { BUNDLE } from '../../testkit/sshd.js';

// The server-side trace of docs/protocol.md §2.1, received by a real socket that logger(1)
// writes to: the bundle's own path, not a stand-in for it.
const ACCOUNT = userInfo().username;

async function traced(argv: string[], env: Record<string, string>): Promise<{ lines: string[]; status: number | null; code: unknown }> {
  const receiver = await SyslogReceiver.start();
  try {
    const result = await runBundle(argv, { PORTCULLIS_SYSLOG_SOCKET: receiver.socket, ...env });
    assertOutcome(result, refused('service_unavailable'));
    return { lines: await receiver.settle(), status: result.status, code: result.json?.error?.code };
  } finally {
    await receiver.close();
  }
}

function assertOneTrace(lines: string[], cause: RegExp, config: string): void {
  assert.equal(lines.length, 1, `expected one syslog line, got ${JSON.stringify(lines)}`);
  const line = lines[0] as string;
  assert.match(line, /^<35>/, 'facility auth, severity err');
  assert.match(line, / portcullis: service_unavailable: /, 'tag and code');
  assert.match(line, cause);
  assert.ok(line.includes(`account ${ACCOUNT}`), `no account in ${line}`);
  assert.ok(line.includes(`config ${config}`), `no config path in ${line}`);
}

describe('attack catalog: every service_unavailable leaves a server-side trace', () => {
  it('OUT-031 traces bad serve options to syslog with the cause, the account and "config not chosen"', async () => {
    const host = makeAttackHost();
    const { lines } = await traced(['--config', host.config, '--level', 'operator'], { SSH_ORIGINAL_COMMAND: 'app status' });
    assertOneTrace(lines, /options: .*level/, 'not chosen (bad options)');
  });

  it('OUT-031 traces a config that does not parse, one others can write, and a missing one, naming the file', async () => {
    const host = makeAttackHost();
    writeFileSync(host.config, '[server\naudit_log = "x"\n');
    assertOneTrace((await traced(['--config', host.config], { SSH_ORIGINAL_COMMAND: 'app status' })).lines, /config: /, host.config);
    const other = makeAttackHost();
    chmodSync(other.config, 0o666);
    assertOneTrace((await traced(['--config', other.config], { SSH_ORIGINAL_COMMAND: 'app status' })).lines, /writable/, other.config);
    const missing = join(host.dir, 'absent.toml');
    assertOneTrace((await traced(['--config', missing], { SSH_ORIGINAL_COMMAND: 'app status' })).lines, /config: /, missing);
  });

  it('OUT-031 traces an audit log it will not open (a symlink) to syslog, since the log cannot take it', async () => {
    const host = makeAttackHost();
    const target = join(host.dir, 'elsewhere.jsonl');
    writeFileSync(target, '', { mode: 0o600 });
    symlinkSync(target, join(host.dir, 'audit.jsonl'));
    assertOneTrace((await traced(['--config', host.config], { SSH_ORIGINAL_COMMAND: 'app status' })).lines, /audit/, host.config);
  });

  it('OUT-029 traces an outcome record the log could not take, for a raw action too, whose answer has no line for it', async () => {
    const host = makeChainHost('enabled = true, lock_timeout = 1');
    const lock = join(host.stateDir, 'audit.lock');
    // The action leaves a holder of the audit lock behind (out of its group): the decision
    // was written, the outcome waits a second for the lock and is lost.
    appendFileSync(host.config, `[domains.t.actions.get]\ndescription = "Download"\nlevel = "read"\noutput = "raw"\nexec = ["/bin/sh", "-c", "setsid flock -x ${lock} sleep 4 </dev/null >/dev/null 2>&1 & sleep 0.5; printf payload"]\n`);
    const receiver = await SyslogReceiver.start();
    try {
      const result = spawnSync(BUNDLE, ['--config', host.config], { env: { PATH: '/usr/bin:/bin', SSH_ORIGINAL_COMMAND: 't get', PORTCULLIS_SYSLOG_SOCKET: receiver.socket }, encoding: 'utf8' });
      assert.equal(result.stdout, 'payload');
      const lines = await receiver.settle();
      assert.equal(lines.length, 1, `expected one syslog line, got ${JSON.stringify(lines)} (stderr ${result.stderr})`);
      assert.match(lines[0] as string, / portcullis: service_unavailable: the audit outcome record could not be written.*request /);
      assert.equal(readFileSync(host.log, 'utf8').split('\n').filter((l) => l.includes('"event":"outcome"')).length, 0, 'the outcome was written after all: the test cannot fail');
    } finally {
      await receiver.close();
    }
  });

  it('OUT-032 puts an audited service_unavailable in the audit log with its detail, and nothing in syslog', async () => {
    const host = makeAttackHost();
    // Options on the -c line beside SSH_ORIGINAL_COMMAND without forced_line = true.
    const { lines } = await traced(['--config', host.config, '-c', 'portcullis --level admin'], { SSH_ORIGINAL_COMMAND: 'app status' });
    assert.deepEqual(lines, []);
    const [decision] = host.audit();
    assert.equal(decision?.error, 'service_unavailable');
    assert.equal(typeof decision?.detail, 'string');
  });

  it('OUT-033 ignores PORTCULLIS_SYSLOG_SOCKET under sshd: a client variable cannot move or forge the trace', async () => {
    const host = makeAttackHost();
    const { lines } = await traced(['--config', host.config, '--level', 'operator'], {
      SSH_ORIGINAL_COMMAND: 'app status',
      SSH_CONNECTION: '192.0.2.7 50000 192.0.2.1 22',
    });
    assert.deepEqual(lines, []);
  });
});
