import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { signedRequestLine } from '../../src/cli/sign.js';
import { isAlive, readAudit } from '../../testkit/process.js';
import { runBundle } from '../../testkit/bundle.js';
import { SESSION_SECRET, SESSION_SERVER_ID, SessionClient, makeSessionHost } from '../../testkit/session-client.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const sign = (command: string, secret = SESSION_SECRET): string =>
  signedRequestLine(secret, SESSION_SERVER_ID, 'bot', String(Math.floor(Date.now() / 1000)), randomBytes(16).toString('hex'), command);

/** Opens a session, checks the hello line. */
async function open(config: string, options: { level?: string; read?: boolean } = {}): Promise<SessionClient> {
  const client = new SessionClient(config, options);
  if (options.read !== false) await client.hello();
  return client;
}

/** Closes the client's side and returns the lines left, the end line last, and the exit status. */
async function finish(client: SessionClient): Promise<{ lines: Array<Record<string, any>>; end: Record<string, any>; status: number | null }> {
  client.close();
  const lines = await client.untilEnd();
  return { lines: lines.slice(0, -1), end: lines[lines.length - 1] as Record<string, any>, status: await client.exited };
}

function assertProtocolError(answer: Record<string, any>, id: string | null): void {
  assert.equal(answer.ok, false, JSON.stringify(answer));
  assert.equal(answer.error?.code, 'bad_request', JSON.stringify(answer));
  assert.equal(answer.error?.reason, 'protocol', JSON.stringify(answer));
  assert.equal(answer.id, id);
}

describe('attack catalog: SES (session mode through the bundle)', () => {
  const host = makeSessionHost('enabled = true\nmax_requests = 20000');

  it('SES-001 refuses a line of 100 MB as too long without holding it: peak RSS stays bounded and the session goes on', async () => {
    const client = await open(host.config);
    const before = client.peakRssKib();
    const piece = Buffer.alloc(1024 * 1024, 'x');
    client.send('{"id":"big","request":"', true);
    for (let i = 0; i < 100; i++) {
      if (!client.send(piece.toString('latin1'), true)) await new Promise((resolve) => client.child.stdin?.once('drain', resolve));
    }
    client.send('"}');
    assertProtocolError(await client.next(60000), null);
    client.send({ id: 'after', request: 't echo msg=still' });
    const after = await client.next();
    assert.equal(after.id, 'after');
    assert.equal(after.stdout, 'still\n');
    const peak = client.peakRssKib();
    // Holding the line would cost at least 100 MiB; dropping it as it arrives costs read
    // buffers the collector has not reclaimed yet (about 35 MiB measured).
    assert.ok(peak - before < 80 * 1024, `peak RSS grew by ${peak - before} KiB (before ${before}, peak ${peak})`);
    const { end, status } = await finish(client);
    assert.deepEqual([end.reason, end.requests, status], ['eof', 1, 0]);
  });

  it('SES-002 refuses a line with CR before LF as a protocol error and goes on', async () => {
    const client = await open(host.config);
    client.send('{"id":"cr","request":"t echo msg=x"}\r');
    assertProtocolError(await client.next(), null);
    client.send({ id: 'ok', request: 't echo msg=y' });
    assert.equal((await client.next()).stdout, 'y\n');
    assert.equal((await finish(client)).end.reason, 'eof');
    assert.equal(host.audit().filter((r) => r.request === 't echo msg=x').length, 0, 'the CR line ran or was logged as a request');
  });

  it('SES-003 answers invalid JSON with bad_request and id null; nothing runs', async () => {
    const client = await open(host.config);
    client.send('{"id":"j1","request":"t echo msg=json"');
    assertProtocolError(await client.next(), null);
    client.send('t echo msg=json');
    assertProtocolError(await client.next(), null);
    const { end } = await finish(client);
    assert.deepEqual([end.reason, end.requests], ['eof', 0]);
    assert.equal(host.audit().filter((r) => r.event === 'outcome' && r.request === 't echo msg=json').length, 0);
  });

  it('SES-004 refuses unknown or mistyped members with the id echoed; nothing runs', async () => {
    const client = await open(host.config);
    client.send({ id: 'u1', request: 't echo msg=member', level: 'admin' });
    assertProtocolError(await client.next(), 'u1');
    client.send({ id: 'u2', request: ['t', 'echo'] });
    assertProtocolError(await client.next(), 'u2');
    client.send({ id: 'u3', request: 't echo msg=member', stream: 'yes' });
    assertProtocolError(await client.next(), 'u3');
    assert.equal((await finish(client)).end.reason, 'protocol_errors');
    assert.equal(host.audit().filter((r) => r.event === 'outcome' && r.request === 't echo msg=member').length, 0);
  });

  it('SES-005 refuses an id with a newline or of 65 characters, answering id null (never echoing it)', async () => {
    const client = await open(host.config);
    client.send({ id: 'a\nb', request: 't echo msg=id' });
    assertProtocolError(await client.next(), null);
    client.send({ id: 'x'.repeat(65), request: 't echo msg=id' });
    assertProtocolError(await client.next(), null);
    client.send({ id: 'x'.repeat(64), request: 't echo msg=id' });
    assert.equal((await client.next()).id, 'x'.repeat(64));
    assert.equal((await finish(client)).end.reason, 'eof');
  });

  it('SES-006 ends after three protocol errors in a row; a well-formed line (even a refused one) resets the count', async () => {
    const client = await open(host.config);
    client.send('nope');
    client.send('');
    client.send({ id: 'r', request: 't nosuch' });
    client.send('nope');
    client.send('[]');
    client.send('null');
    client.send({ id: 'never', request: 't echo msg=never' });
    const lines = await client.untilEnd();
    assert.deepEqual(lines.map((l) => l.error?.reason ?? l.error?.code ?? l.event), ['protocol', 'protocol', 'unknown_action', 'protocol', 'protocol', 'protocol', 'end']);
    const end = lines[lines.length - 1];
    assert.deepEqual([end?.reason, end?.requests], ['protocol_errors', 1]);
    assert.equal(await client.exited, 0);
    assert.ok(!lines.some((l) => l.id === 'never'));
  });

  it('SES-007 refuses a proof replayed inside the same session', async () => {
    const client = await open(host.config);
    const line = sign('t admin');
    client.send({ id: 'p1', request: line });
    assert.equal((await client.next()).stdout, 'admin ran\n');
    client.send({ id: 'p2', request: line });
    const replay = await client.next();
    assert.deepEqual([replay.id, replay.error?.code, replay.error?.reason], ['p2', 'auth_failed', 'replayed']);
    assert.equal((await finish(client)).end.reason, 'eof');
  });

  it('SES-008 refuses a proof used in one session when it is replayed in a second session', async () => {
    const line = sign('t admin');
    const first = await open(host.config);
    first.send({ id: 'a', request: line });
    assert.equal((await first.next()).stdout, 'admin ran\n');
    await finish(first);
    const second = await open(host.config);
    second.send({ id: 'b', request: line });
    const replay = await second.next();
    assert.deepEqual([replay.error?.code, replay.error?.reason], ['auth_failed', 'replayed']);
    await finish(second);
  });

  it('SES-009 refuses a proof signed for one request when it comes with another request text', async () => {
    const client = await open(host.config);
    const signed = sign('t admin');
    const forged = signed.replace(/ t admin$/, ' t echo msg=other');
    client.send({ id: 'n1', request: 't echo msg=first' });
    assert.equal((await client.next()).ok, true);
    client.send({ id: 'n2', request: forged });
    const answer = await client.next();
    assert.deepEqual([answer.id, answer.error?.code], ['n2', 'auth_failed']);
    assert.equal(answer.stdout, undefined);
    await finish(client);
  });

  it('SES-010 refuses stdin for an action or a built-in that reads none: bad_request, nothing runs', async () => {
    const client = await open(host.config);
    client.send({ id: 's', request: 't echo msg=nostdin', stdin: 'data' });
    const answer = await client.next();
    assert.deepEqual([answer.id, answer.error?.code], ['s', 'bad_request']);
    // A built-in reads no stdin either.
    client.send({ id: 'b', request: 'list', stdin: 'data' });
    const builtin = await client.next();
    assert.deepEqual([builtin.id, builtin.error?.code], ['b', 'bad_request']);
    await finish(client);
    assert.equal(host.audit().filter((r) => r.event === 'outcome' && r.request === 't echo msg=nostdin').length, 0);
  });

  it('SES-011 refuses stdin over max_bytes with input_too_large; nothing runs', async () => {
    const client = await open(host.config);
    client.send({ id: 'big', request: 't cat', stdin: 'x'.repeat(17) });
    const answer = await client.next();
    assert.deepEqual([answer.id, answer.error?.code], ['big', 'input_too_large']);
    client.send({ id: 'fits', request: 't cat', stdin: 'x'.repeat(16) });
    assert.equal((await client.next()).stdout, 'x'.repeat(16));
    await finish(client);
  });

  it('SES-012 passes base64 stdin to the child byte for byte (bytes that are not UTF-8 included)', async () => {
    const client = await open(host.config);
    const bytes = Buffer.from([0, 1, 0xff, 0xfe, 0x0a, 0x0d, 0x80]);
    client.send({ id: 'b64', request: 't cat', stdin: bytes.toString('base64'), stdin_encoding: 'base64' });
    const answer = await client.next();
    assert.equal(answer.stdout_encoding, 'base64', JSON.stringify(answer));
    assert.ok(Buffer.from(answer.stdout, 'base64').equals(bytes));
    client.send({ id: 'none', request: 't cat' });
    const empty = await client.next();
    assert.deepEqual([empty.ok, empty.stdout], [true, '']);
    await finish(client);
  });

  it('SES-013 refuses session inside a session, with or without proof fields, and the session goes on', async () => {
    const client = await open(host.config);
    client.send({ id: 's1', request: 'session' });
    const inner = await client.next();
    assert.deepEqual([inner.id, inner.error?.code, inner.session], ['s1', 'bad_request', undefined]);
    client.send({ id: 's2', request: sign('session') });
    assert.equal((await client.next()).error?.code, 'bad_request');
    client.send({ id: 's3', request: 't echo msg=on' });
    assert.equal((await client.next()).stdout, 'on\n');
    assert.equal((await finish(client)).end.requests, 3);
  });

  it('SES-014 refuses proof fields before session, before any proof is checked (the nonce stays unspent)', async () => {
    const nonce = randomBytes(16).toString('hex');
    const ts = String(Math.floor(Date.now() / 1000));
    const line = signedRequestLine(SESSION_SECRET, SESSION_SERVER_ID, 'bot', ts, nonce, 'session');
    const r = await runBundle(['--config', host.config, '--level', 'read'], { SSH_ORIGINAL_COMMAND: line });
    assert.equal(r.json?.error?.code, 'bad_request');
    assert.equal(r.status, 132);
    assert.equal(r.stdout.trim().split('\n').length, 1, 'a session started');
    // The same nonce on a real request is not a replay: the refused `session` spent nothing.
    const again = await runBundle(['--config', host.config, '--level', 'read'], { SSH_ORIGINAL_COMMAND: signedRequestLine(SESSION_SECRET, SESSION_SERVER_ID, 'bot', ts, nonce, 't admin') });
    assert.equal(again.json?.stdout, 'admin ran\n', again.stdout);
  });

  it('SES-015 refuses session where it is not enabled: bad_request, 132, one line', async () => {
    const off = makeSessionHost('enabled = false');
    const r = await runBundle(['--config', off.config, '--level', 'read'], { SSH_ORIGINAL_COMMAND: 'session' }, '{"request":"t echo msg=x"}\n');
    assert.equal(r.json?.error?.code, 'bad_request');
    assert.equal(r.status, 132);
    assert.equal(off.audit().filter((rec) => rec.event === 'outcome').length, 0);
  });

  it('SES-016 ends an idle client with idle_timeout, even while the server is blocked reading half a line; never while a request runs', async () => {
    const idle = makeSessionHost('enabled = true\nidle_timeout = 1');
    const client = await open(idle.config);
    client.send({ id: 'slow', request: 't sleep seconds=2' });
    const slow = await client.next();
    assert.deepEqual([slow.id, slow.ok], ['slow', true]);
    client.send('{"id":"half","request":', true);
    const started = Date.now();
    const end = await client.next(10000);
    assert.deepEqual([end.event, end.reason, end.requests], ['end', 'idle_timeout', 1]);
    assert.ok(Date.now() - started < 5000);
    assert.equal(await client.exited, 0);
  });

  it('SES-017 ends at max_requests without serving the lines sent beyond it', async () => {
    const capped = makeSessionHost('enabled = true\nmax_requests = 3');
    const client = await open(capped.config);
    for (let i = 1; i <= 5; i++) client.send({ id: `m${i}`, request: `t echo msg=m${i}` });
    const lines = await client.untilEnd();
    assert.deepEqual(lines.map((l) => l.id ?? l.reason), ['m1', 'm2', 'm3', 'max_requests']);
    assert.equal(await client.exited, 0);
    assert.equal(capped.audit().filter((r) => r.event === 'outcome').length, 3);
  });

  it('SES-018 at max_seconds lets the running request finish and starts none after it', async () => {
    const timed = makeSessionHost('enabled = true\nmax_seconds = 1');
    const client = await open(timed.config);
    client.send({ id: 'run', request: 't sleep seconds=2' });
    client.send({ id: 'late', request: 't echo msg=late' });
    const lines = await client.untilEnd();
    assert.deepEqual(lines.map((l) => l.id ?? l.reason), ['run', 'max_seconds']);
    assert.equal(lines[0]?.ok, true);
    assert.equal(timed.audit().filter((r) => r.request === 't echo msg=late').length, 0);
  });

  it('SES-019 a client that writes 10,000 requests and never reads: the server stops reading, its memory stays bounded, every answer comes in order later', async () => {
    const client = await open(host.config, { read: false });
    const padding = ' '.repeat(400);
    const total = 10000;
    let text = '';
    for (let i = 0; i < total; i++) text += `{"id":"w${i}",${padding}"request":"whoami"}\n`;
    client.send(text, true);
    await sleep(3000);
    const unread = client.child.stdin?.writableLength ?? 0;
    // 4.3 MB sent: the server holds at most 16 lines ahead, the kernel buffers the rest up to its limit.
    assert.ok(unread > 2_000_000, `the server read ${text.length - unread} of ${text.length} bytes`);
    const peak = client.peakRssKib();
    assert.ok(peak < 150 * 1024, `peak RSS ${peak} KiB`);
    client.startReading();
    assert.equal((await client.next()).ok, true);
    for (let i = 0; i < total; i++) {
      const answer = await client.next(60000);
      assert.equal(answer.id, `w${i}`);
    }
    const { end } = await finish(client);
    assert.deepEqual([end.reason, end.requests], ['eof', total]);
  });

  it('SES-020 a client that stops reading answers stops its session: no new request runs until it reads again', async () => {
    const client = await open(host.config, { read: false });
    const before = host.audit().length;
    for (let i = 0; i < 200; i++) client.send({ id: `o${i}`, request: 't big' });
    // Wait until the server is stuck writing to the full pipe (a loaded machine is slow to fill it).
    let ranEarly = -1;
    let ranLater = 0;
    for (let i = 0; i < 40 && ranLater !== ranEarly; i++) {
      ranEarly = host.audit().length - before;
      await sleep(1500);
      ranLater = host.audit().length - before;
    }
    assert.equal(ranLater, ranEarly, 'requests kept running while nobody read');
    assert.ok(ranLater < 2 * 200, `all ${ranLater / 2} requests ran without a reader`);
    client.startReading();
    await client.hello();
    for (let i = 0; i < 200; i++) assert.equal((await client.next(60000)).id, `o${i}`);
    assert.equal((await finish(client)).end.requests, 200);
  });

  it('SES-021 SIGTERM in the middle of a later request\'s action kills its group, the outcome is aborted, the end line says aborted, no orphan remains', async () => {
    const client = await open(host.config);
    // A first exchange answered: the stop signals must still be the session's in the second.
    client.send({ id: 'first', request: 't which' });
    assert.equal((await client.next()).id, 'first');
    client.send({ id: 'long', request: 't sleep seconds=71' });
    let sleeper = 0;
    for (let i = 0; i < 100 && sleeper === 0; i++, await sleep(100)) {
      const found = spawnSync('pgrep', ['-P', String(client.pid), '-f', '^/bin/sleep 71$'], { encoding: 'utf8' });
      sleeper = Number(found.stdout.trim().split('\n')[0] ?? 0);
    }
    assert.ok(sleeper > 0, 'the action did not start');
    client.child.kill('SIGTERM');
    const lines = await client.untilEnd(10000);
    assert.equal(lines[0]?.id, 'long');
    assert.equal(lines[0]?.ok, false);
    const end = lines[lines.length - 1];
    assert.deepEqual([end?.reason, end?.requests], ['aborted', 2]);
    assert.equal(await client.exited, 0);
    for (let i = 0; i < 30 && isAlive(sleeper); i++) await sleep(100);
    assert.equal(isAlive(sleeper), false, 'the action outlived its session');
    const outcome = host.audit().find((r) => r.event === 'outcome' && r.request === 't sleep seconds=71');
    assert.equal(outcome?.error, 'aborted');
  });

  it('SES-022 keeps the config a session started with; a new session sees the new one', async () => {
    const changing = makeSessionHost();
    const client = await open(changing.config);
    client.send({ id: '1', request: 't which' });
    assert.equal((await client.next()).stdout, 'config-A\n');
    changing.rewrite('enabled = true', 'config-B');
    client.send({ id: '2', request: 't which' });
    assert.equal((await client.next()).stdout, 'config-A\n');
    await finish(client);
    const fresh = await open(changing.config);
    fresh.send({ id: '3', request: 't which' });
    assert.equal((await fresh.next()).stdout, 'config-B\n');
    await finish(fresh);
  });

  it('SES-023 reopens a rotated audit log mid-session: later records in the new file, earlier ones stay in the old', async () => {
    const rotating = makeSessionHost();
    const client = await open(rotating.config);
    client.send({ id: '1', request: 't echo msg=before' });
    await client.next();
    renameSync(rotating.auditPath, `${rotating.auditPath}.1`);
    client.send({ id: '2', request: 't echo msg=after' });
    await client.next();
    await finish(client);
    const old = readAudit(`${rotating.auditPath}.1`);
    const fresh = rotating.audit();
    assert.deepEqual(old.map((r) => r.event), ['decision', 'decision', 'outcome']);
    assert.deepEqual(fresh.map((r) => [r.event, r.request ?? null]), [['decision', 't echo msg=after'], ['outcome', 't echo msg=after'], ['session_end', 'session']]);
  });

  it('SES-024 ends the session with locked_out right after the answer that locked the caller out', async () => {
    const locking = makeSessionHost('enabled = true', 'max_auth_failures = 2');
    const client = await open(locking.config);
    const junk = randomBytes(32);
    for (let i = 1; i <= 3; i++) client.send({ id: `j${i}`, request: sign('t admin', junk) });
    const lines = await client.untilEnd();
    assert.deepEqual(lines.map((l) => l.id ?? l.reason), ['j1', 'j2', 'locked_out']);
    assert.deepEqual(lines.slice(0, 2).map((l) => l.error?.code), ['auth_failed', 'auth_failed']);
    assert.equal(lines[2]?.requests, 2);
    assert.equal(await client.exited, 0);
  });

  it('SES-025 records session_id and session_seq on every request record and one session_end, and never a protocol error\'s line', async () => {
    const audited = makeSessionHost();
    const client = await open(audited.config);
    const hello = client;
    client.send({ id: 'a', request: 't echo msg=a' });
    // A line that is no request may still hold a secret: it is never logged.
    const proof = 'ab'.repeat(32);
    client.send(`not json +proof=${proof} password=hunter2`);
    client.send({ id: 'b', request: 'whoami' });
    const lines = (await finish(hello)).lines;
    assert.deepEqual(lines.map((l) => l.id), ['a', null, 'b']);
    const records = audited.audit();
    const sessionId = records[0]?.request_id;
    assert.deepEqual(records.map((r) => [r.event, r.session_id ?? null, r.session_seq ?? null]), [
      ['decision', null, null],
      ['decision', sessionId, 1],
      ['outcome', sessionId, 1],
      ['decision', sessionId, 0],
      ['decision', sessionId, 2],
      ['session_end', null, null],
    ]);
    const end = records[records.length - 1];
    assert.deepEqual([end?.reason, end?.requests, end?.request_id], ['eof', 2, sessionId]);
    assert.equal(records[3]?.reason, 'protocol');
    const logged = readFileSync(join(audited.dir, 'audit.jsonl'), 'utf8');
    assert.ok(!logged.includes('hunter2') && !logged.includes(proof), 'a protocol error line reached the audit log');
  });

  it('SES-026 sends stream:true output as chunk events before the answer, never splitting a character', async () => {
    const client = await open(host.config);
    client.send({ id: 'eu', request: 't euro', stream: true });
    const chunks: Array<Record<string, any>> = [];
    let answer: Record<string, any>;
    for (;;) {
      const line = await client.next();
      if (line.event !== 'chunk') {
        answer = line;
        break;
      }
      assert.equal(line.id, 'eu');
      chunks.push(line);
    }
    assert.ok(chunks.length >= 2, `expected several chunks: ${JSON.stringify(chunks)}`);
    assert.ok(chunks.every((c) => !String(c.data).includes('\ufffd')), 'a character was split');
    const text = (stream: string): string => chunks.filter((c) => c.stream === stream).map((c) => c.data).join('');
    assert.equal(text('stdout'), 'a€b€');
    assert.equal(text('stderr'), 'c');
    assert.deepEqual([answer.id, answer.stdout, answer.stderr], ['eu', 'a€b€', 'c']);
    await finish(client);
  });

  it('SES-027 runs the lines already received before ending with eof, and exits 0', async () => {
    const client = await open(host.config);
    for (let i = 0; i < 5; i++) client.send({ request: `t echo msg=q${i}` });
    const { lines, end, status } = await finish(client);
    assert.deepEqual(lines.map((l) => [l.id, l.stdout]), [0, 1, 2, 3, 4].map((i) => [null, `q${i}\n`]));
    assert.deepEqual([end.v, end.ok, end.event, end.reason, end.requests, status], [1, true, 'end', 'eof', 5, 0]);
  });

  it('SES-032 a client that stops taking answers cannot hold the session open: it ends by itself at idle_timeout, recorded, exit 0', async () => {
    const stuck = makeSessionHost('enabled = true\nidle_timeout = 3');
    const client = await open(stuck.config, { read: false });
    for (let i = 0; i < 200; i++) client.send({ id: `i${i}`, request: 't big' });
    const status = await Promise.race([client.exited, sleep(60000).then(() => 'hung')]);
    if (status === 'hung') client.child.kill('SIGKILL');
    assert.equal(status, 0, 'the session outlived idle_timeout while its client took no answer');
    const records = stuck.audit();
    const end = records.find((r) => r.event === 'session_end');
    assert.equal(end?.reason, 'idle_timeout');
    assert.ok(end.requests < 200, `all ${end.requests} requests ran without a reader`);
    assert.equal(records.filter((r) => r.event === 'outcome').length, end.requests, 'every request that ran has its outcome');
  });

  it('SES-031 SIGTERM still ends a session whose client stopped reading, at once, with its session_end record', async () => {
    const stuck = makeSessionHost();
    const client = await open(stuck.config, { read: false });
    for (let i = 0; i < 200; i++) client.send({ id: `s${i}`, request: 't big' });
    // Stuck for good: no new record for 3 s (the answers fill the pipe long before 200 ran).
    let last = -1;
    for (let i = 0, still = 0; i < 60 && still < 3; i++) {
      await sleep(1000);
      const count = stuck.audit().length;
      still = count === last ? still + 1 : 0;
      last = count;
    }
    assert.ok(last < 2 * 200 + 1, 'every request ran: the client never blocked the server');
    const signalled = Date.now();
    client.child.kill('SIGTERM');
    const status = await Promise.race([client.exited, sleep(10000).then(() => 'hung')]);
    if (status === 'hung') client.child.kill('SIGKILL');
    assert.notEqual(status, 'hung', 'the session ignored SIGTERM while its client did not read');
    assert.ok(Date.now() - signalled < 5000);
    const end = stuck.audit().find((r) => r.event === 'session_end');
    assert.equal(end?.reason, 'aborted');
  });
});
