/**
 * Session mode (docs/protocol.md §12) against one-shot calls, through a real loopback sshd
 * and in process, measured in one run: the round trip of one `/bin/true` request, the
 * serving process's CPU per request, and its RSS over a long session.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAudit } from '../testkit/process.js';
import { PipeSessionClient as SessionClient } from '../testkit/session-pipe.js';
import { BUNDLE, SshdHarness } from '../testkit/sshd.js';
import { figure, median, round, row, type Row, type Verdict } from './table.js';

const REQUEST = 'd0 a0';
const CLEAN_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin' };
/** Requests sent ahead in the RSS run; the server reads at most 16 ahead. */
const WINDOW = 8;

export interface SessionBenchSetup {
  /** The one-shot config (200 actions) and the same actions with `[server.session]` enabled. */
  readonly oneShotConfig: string;
  readonly sessionConfig: string;
  readonly sessionAudit: string;
  readonly sessionFloorScript: string;
  /** The same floor starting /bin/true through the in-group guard's /bin/sh (ADR 0017). */
  readonly guardedSessionFloorScript: string;
  /** Rounds of alternating measurements, and session requests per session per round. */
  readonly rounds: number;
  readonly perRound: number;
  /** Requests in the one session whose RSS is read after 100 and after this many. */
  readonly rssRequests: number;
}

export async function throughSshdAndSessions(setup: SessionBenchSetup): Promise<{ rows: Row[]; verdicts: Verdict[] }> {
  const sshd = await SshdHarness.start([
    { name: 'portcullis', options: `restrict,command="${BUNDLE} --config ${setup.oneShotConfig} --level read"` },
    { name: 'true', options: 'restrict,command="/bin/true"' },
    { name: 'session', options: `restrict,command="${BUNDLE} --config ${setup.sessionConfig} --level read"` },
  ]);
  const controlPath = join(sshd.dir, 'cm-%r@%h:%p');
  const open: SessionClient[] = [];
  const start = async (child: ChildProcess) => {
    const opened = await SessionClient.open(child);
    open.push(opened.client);
    return opened;
  };
  const overSsh = () => spawn('ssh', sshd.sshArgs('session', 'session', ['-T']), { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const multiplexed = ['-o', 'ControlMaster=auto', '-o', `ControlPath=${controlPath}`, '-o', 'ControlPersist=120'];
    const oneShot = async (key: string, extra: readonly string[]): Promise<number> => {
      const started = process.hrtime.bigint();
      const result = await sshd.ssh(key, REQUEST, { extraArgs: extra });
      if (result.status !== 0) throw new Error(`ssh ${key} failed: ${result.stderr}`);
      return msSince(started);
    };
    const viaSshd = (await start(overSsh())).client;
    const local = await start(spawn(process.execPath, [BUNDLE, '--config', setup.sessionConfig, '--level', 'read'], {
      env: { ...CLEAN_ENV, SSH_ORIGINAL_COMMAND: 'session' },
      stdio: ['pipe', 'pipe', 'inherit'],
    }));
    const floor = await start(spawn(process.execPath, [setup.sessionFloorScript], { env: CLEAN_ENV, stdio: ['pipe', 'pipe', 'inherit'] }));
    const guarded = await start(spawn(process.execPath, [setup.guardedSessionFloorScript], { env: CLEAN_ENV, stdio: ['pipe', 'pipe', 'inherit'] }));
    const sessions = [viaSshd, local.client, floor.client, guarded.client];
    const roundTrip = async (client: SessionClient, id: string): Promise<number> => {
      const started = process.hrtime.bigint();
      await client.request(id, REQUEST);
      return msSince(started);
    };

    const calls: Array<[string, readonly string[]]> = [['portcullis', []], ['true', []], ['portcullis', multiplexed], ['true', multiplexed]];
    for (const [key, extra] of calls) await oneShot(key, extra);
    for (const client of sessions) for (let i = 0; i < 5; i++) await roundTrip(client, `w${i}`);
    const cpuBefore = [cpuMs(local.client.pid), cpuMs(floor.client.pid)];

    const oneShotMs = calls.map((): number[] => []);
    const sessionMs = sessions.map((): number[] => []);
    for (let r = 0; r < setup.rounds; r++) {
      const order = r % 2 === 0 ? [0, 1, 2, 3] : [3, 2, 1, 0];
      for (const i of order) (oneShotMs[i] as number[]).push(await oneShot(...(calls[i] as [string, readonly string[]])));
      for (let k = 0; k < setup.perRound; k++) {
        for (const [i, client] of sessions.entries()) (sessionMs[i] as number[]).push(await roundTrip(client, `r${r}.${k}`));
      }
    }
    const served = setup.rounds * setup.perRound;
    const [localCpu, floorCpu] = [cpuMs(local.client.pid) - (cpuBefore[0] as number), cpuMs(floor.client.pid) - (cpuBefore[1] as number)];
    for (const client of sessions) await client.end();

    const [fresh, freshTrue, mux, muxTrue] = oneShotMs.map(median) as [number, number, number, number];
    const [sshdSession, localSession, floorSession, guardedFloorSession] = sessionMs.map(median) as [number, number, number, number];
    const memory = await rssOverOneSession(overSsh, start, setup);

    const rows = [
      row('through sshd, new connection per call: portcullis vs command="/bin/true"', fresh, freshTrue, 'ms', 'report'),
      row('through sshd, ControlMaster multiplexing: portcullis vs command="/bin/true"', mux, muxTrue, 'ms', 'report'),
      row('session in process (bundle on a pipe, no sshd): /bin/true round trip vs session floor', localSession, floorSession, 'ms', 'report'),
      row('session floor through the in-group guard (ADR 0017) vs session floor: the guard\'s own cost', guardedFloorSession, floorSession, 'ms', 'report'),
      row('session in process vs session floor through the guard: the rest of our overhead', localSession, guardedFloorSession, 'ms', 'report'),
      row('session through sshd: /bin/true round trip vs session in process', sshdSession, localSession, 'ms', 'ours ≤ 3 ms'),
      row('one-shot over a new connection vs session through sshd (ms per call)', fresh, sshdSession, 'ms', 'ratio ≥ 50'),
      row('one-shot over ControlMaster vs session through sshd (ms per call)', mux, sshdSession, 'ms', 'report'),
      row(`session server CPU per request (utime+stime over ${served}): in process vs session floor`, localCpu / served, floorCpu / served, 'ms', 'report'),
      row(`session VmRSS of the serving process (sshd): after ${memory.requests} vs after 100 requests`, memory.rssKb, memory.rss100Kb, 'KiB', 'report'),
      figure(`session VmRSS growth from 100 to ${memory.requests} requests`, (memory.rssKb - memory.rss100Kb) / 1024, 'MiB', '≤ 10 MiB'),
      row('session VmRSS sampled every 100 requests over the last 1,000: max vs min', Math.max(...memory.lastKb), Math.min(...memory.lastKb), 'KiB', 'report'),
      figure(`session through sshd, ${WINDOW} requests ahead: throughput`, Math.round(memory.perSecond), 'req/s', 'report'),
      figure(`session server CPU per request (utime+stime, requests 101..${memory.requests}, sshd)`, memory.cpuPerRequestMs, 'ms', 'report'),
    ];
    const verdicts: Verdict[] = [
      { target: 'median ≤ 3 ms per request through sshd', figure: `${round(sshdSession, 1)} ms`, met: sshdSession <= 3 },
      { target: '≥ 50× fewer ms per call than a fresh connection', figure: `${round(fresh / sshdSession, 1)}×`, met: fresh / sshdSession >= 50 },
      {
        target: `RSS growth ≤ 10 MiB over ${memory.requests} requests`,
        figure: `${round((memory.rssKb - memory.rss100Kb) / 1024, 1)} MiB (${memory.rss100Kb} → ${memory.rssKb} KiB)`,
        met: memory.rssKb - memory.rss100Kb <= 10 * 1024,
      },
    ];
    return { rows, verdicts };
  } finally {
    for (const client of open) client.kill();
    exitMaster(sshd, controlPath);
    await sshd.stop();
  }
}

/**
 * A fresh session through sshd: VmRSS of its serving process after 100 requests and after
 * `rssRequests`, found by the pid in its `session` decision record (docs/protocol.md §12).
 * VmRSS swings by tens of MiB with V8's garbage collections, so it is also sampled every
 * 100 requests over the last 1,000, to tell a swing from a leak.
 */
async function rssOverOneSession(
  overSsh: () => ChildProcess,
  start: (child: ChildProcess) => Promise<{ client: SessionClient; hello: Record<string, any> }>,
  setup: SessionBenchSetup,
): Promise<{ requests: number; rss100Kb: number; rssKb: number; lastKb: number[]; perSecond: number; cpuPerRequestMs: number }> {
  const { client, hello } = await start(overSsh());
  const pid = servingPid(setup.sessionAudit, hello.request_id as string);
  const requests = Math.max(100, Math.ceil(setup.rssRequests / 100) * 100);
  await client.pipeline(100, REQUEST, WINDOW, 'a');
  const rss100Kb = vmRssKb(pid);
  const cpu100 = cpuMs(pid);
  const started = process.hrtime.bigint();
  const lastKb: number[] = [];
  for (let done = 100; done < requests; done += 100) {
    await client.pipeline(100, REQUEST, WINDOW, `b${done}.`);
    if (requests - done <= 1000) lastKb.push(vmRssKb(pid));
  }
  const seconds = msSince(started) / 1000;
  const rssKb = vmRssKb(pid);
  const cpuPerRequestMs = (cpuMs(pid) - cpu100) / Math.max(1, requests - 100);
  const end = await client.end();
  if (end.reason !== 'eof' || end.requests !== requests) throw new Error(`session ended badly: ${JSON.stringify(end)}`);
  return { requests, rss100Kb, rssKb, lastKb, perSecond: (requests - 100) / seconds, cpuPerRequestMs };
}

function servingPid(auditPath: string, sessionId: string): number {
  const record = readAudit(auditPath).find((r) => r.event === 'decision' && r.request_id === sessionId);
  const pid = Number(record?.pid);
  if (!Number.isInteger(pid) || !readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('portcullis')) {
    throw new Error(`no serving process for session ${sessionId}`);
  }
  return pid;
}

function vmRssKb(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb);
}

/** utime + stime of the process itself (waited-for children not included), in ms (USER_HZ is 100 on Linux). */
function cpuMs(pid: number | undefined): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function exitMaster(sshd: SshdHarness, controlPath: string): void {
  spawnSync('ssh', ['-O', 'exit', '-o', `ControlPath=${controlPath}`, '-p', String(sshd.port), 'root@127.0.0.1'], { stdio: 'ignore' });
}

const msSince = (started: bigint): number => Number(process.hrtime.bigint() - started) / 1e6;
