/**
 * `npm run bench`: Portcullis against the Node floor, measured in one run with alternating
 * runs and medians. Prints a table and writes bench/results.json. No timed assertions:
 * targets are printed next to the figures (issue 7).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../src/config/full.js';
import { authorize, validateArgs } from '../src/policy/index.js';
import { parseRequest } from '../src/request/index.js';
import { compiledPathFor } from '../src/config/index.js';
import { BUNDLE } from '../testkit/sshd.js';
import { contractFloorScript, generateConfig, FLOOR_SCRIPT, RSS_REPORTER, sessionFloorScript } from './fixtures.js';
import { rawDownloads } from './raw.js';
import { throughSshdAndSessions } from './session.js';
import { chainCost } from './audit-chain.js';
import { signatureVerifyRows } from './signatures.js';
import { throughTheBridge } from './mcp.js';
import { formatTable, formatVerdicts, median, row, type Row, type Verdict } from './table.js';

const RUNS = Number(process.env.BENCH_RUNS) || 40;
/** Requests in the one long session whose RSS growth is measured. */
const SESSION_REQUESTS = Number(process.env.BENCH_SESSION_REQUESTS) || 10_000;
const CLEAN_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin' };
/** 1 GiB downloads per side in the raw rows. */
const RAW_ROUNDS = Number(process.env.BENCH_RAW_ROUNDS) || 3;

interface Sample {
  ms: number;
  rssKb: number;
}

function runOnce(args: readonly string[], env: Record<string, string>): Sample {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['--require', RSS_REPORTER.path, ...args], { env: { ...CLEAN_ENV, ...env }, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const rss = /portcullis-bench-rss=(\d+)/.exec(result.stderr)?.[1];
  if (result.status !== 0 || rss === undefined) throw new Error(`bench run failed (${result.status}): ${result.stdout}${result.stderr}`);
  return { ms, rssKb: Number(rss) };
}

/** Alternates A and B (ABBA…) so that drift and caches hit both alike. */
function compare(a: () => Sample, b: () => Sample, runs = RUNS): { a: Sample; b: Sample } {
  a();
  b();
  const as: Sample[] = [];
  const bs: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      as.push(a());
      bs.push(b());
    } else {
      bs.push(b());
      as.push(a());
    }
  }
  return {
    a: { ms: median(as.map((s) => s.ms)), rssKb: median(as.map((s) => s.rssKb)) },
    b: { ms: median(bs.map((s) => s.ms)), rssKb: median(bs.map((s) => s.rssKb)) },
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  try {
    writeFileSync(RSS_REPORTER.path, RSS_REPORTER.source);
    const floor = join(dir, 'floor.js');
    writeFileSync(floor, FLOOR_SCRIPT);
    const contractFloor = join(dir, 'contract-floor.js');
    writeFileSync(contractFloor, contractFloorScript(false));
    const guardedContractFloor = join(dir, 'contract-floor-guarded.js');
    writeFileSync(guardedContractFloor, contractFloorScript(true));
    const big = generateConfig(dir, 'big', 200);
    const demo = generateConfig(dir, 'demo', 5);
    const cold = generateConfig(dir, 'cold', 200, false);
    const session = generateConfig(dir, 'session', 200, true, `state_dir = "${dir}/state"\n[server.session]\nenabled = true\nmax_requests = 1000000\n`);
    const sessionFloor = join(dir, 'session-floor.js');
    writeFileSync(sessionFloor, sessionFloorScript(false));
    const guardedSessionFloor = join(dir, 'session-floor-guarded.js');
    writeFileSync(guardedSessionFloor, sessionFloorScript(true));
    const rows: Row[] = [];
    const verdicts: Verdict[] = [];
    const serve = (config: string, request: string) => () => runOnce([BUNDLE, '--config', config, '--level', 'read'], { SSH_ORIGINAL_COMMAND: request });
    const floorRun = () => runOnce([floor], {});
    const empty = () => runOnce(['-e', '0'], {});
    const contractFloorRun = () => runOnce([contractFloor, big, compiledPathFor(big), join(dir, 'contract-floor-audit.jsonl')], {});
    const guardedContractFloorRun = () => runOnce([guardedContractFloor, big, compiledPathFor(big), join(dir, 'contract-floor-audit.jsonl')], {});

    const r1 = compare(serve(big, 'd0 a0'), floorRun);
    rows.push(row('200-action config, /bin/true action vs Node floor (time)', r1.a.ms, r1.b.ms, 'ms', '≤ 1.15'));
    rows.push(row('200-action config, /bin/true action vs Node floor (peak RSS)', r1.a.rssKb, r1.b.rssKb, 'KiB', '≤ 1.25'));
    const r1b = compare(serve(big, 'd0 a0'), contractFloorRun);
    rows.push(row('200-action config, /bin/true action vs contract floor (our own overhead)', r1b.a.ms, r1b.b.ms, 'ms', '≤ 1.20'));
    verdicts.push({ target: 'one-shot /bin/true action ≤ 1.20× the contract floor', figure: `${(r1b.a.ms / r1b.b.ms).toFixed(3)}×`, met: r1b.a.ms <= 1.2 * r1b.b.ms });
    const r1g = compare(guardedContractFloorRun, contractFloorRun);
    rows.push(row('contract floor through the in-group guard (§7.1, ADR 0017) vs contract floor: the guard\'s own cost', r1g.a.ms, r1g.b.ms, 'ms', 'report'));
    const r1d = compare(serve(big, 'd0 a0'), guardedContractFloorRun);
    rows.push(row('200-action config, /bin/true action vs contract floor through the guard', r1d.a.ms, r1d.b.ms, 'ms', 'report'));
    const r1c = compare(contractFloorRun, floorRun);
    rows.push(row('contract floor vs Node floor: config read + hash, id, 2 audit records, pipes, group', r1c.a.ms, r1c.b.ms, 'ms', 'report'));
    const r2 = compare(serve(demo, 'd0 a0'), floorRun);
    rows.push(row('5-action config, /bin/true action vs Node floor (time)', r2.a.ms, r2.b.ms, 'ms', '≤ 1.15'));
    const r3 = compare(serve(demo, 'help'), empty);
    rows.push(row('5-action config, help vs node -e 0 (time)', r3.a.ms, r3.b.ms, 'ms', 'report'));
    const r4 = compare(serve(cold, 'd0 a0'), floorRun, Math.max(10, RUNS / 4));
    rows.push(row('no compiled form (TOML + zod every call) vs Node floor (time)', r4.a.ms, r4.b.ms, 'ms', 'report'));

    // The audit chain (docs/audit.md "Cost"): its own cost, then a whole one-shot request with it on.
    const chain = chainCost(dir, Math.max(100, RUNS * 5));
    rows.push(...chain.rows);
    verdicts.push(...chain.verdicts);
    const chained = generateConfig(dir, 'chained', 200, true, `state_dir = "${dir}/chained-state"\n[server.audit_chain]\nenabled = true\n`);
    const r5 = compare(serve(chained, 'd0 a0'), serve(big, 'd0 a0'));
    rows.push(row('one-shot /bin/true action, audit chain on vs off (time)', r5.a.ms, r5.b.ms, 'ms', 'report'));

    rows.push(...instructionCounts(
      [BUNDLE, '--config', big, '--level', 'read'],
      [floor],
      [contractFloor, big, compiledPathFor(big), join(dir, 'contract-floor-audit.jsonl')],
    ));
    rows.push(inProcessThroughput(big));
    rows.push(...signatureVerifyRows());
    const sessions = await throughSshdAndSessions({
      oneShotConfig: big,
      sessionConfig: session,
      sessionAudit: join(dir, 'session-audit.jsonl'),
      sessionFloorScript: sessionFloor,
      guardedSessionFloorScript: guardedSessionFloor,
      rounds: Math.max(10, RUNS / 2),
      perRound: 10,
      rssRequests: SESSION_REQUESTS,
    });
    rows.push(...sessions.rows);
    verdicts.push(...sessions.verdicts);
    const raw = await rawDownloads(dir, RAW_ROUNDS);
    rows.push(...raw.rows);
    verdicts.push(...raw.verdicts);
    const bridge = await throughTheBridge(Math.max(10, RUNS / 2), 10);
    rows.push(...bridge.rows);
    verdicts.push(...bridge.verdicts);

    console.log(`Portcullis benchmarks (${RUNS} alternating runs each, medians; node ${process.version})\n`);
    console.log(formatTable(rows));
    console.log(`\ntargets:\n${formatVerdicts(verdicts)}`);
    const results = { node: process.version, runs: RUNS, date: new Date().toISOString(), rows, verdicts };
    writeFileSync(resolve(__dirname, '..', '..', 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log('\nwritten to bench/results.json');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(RSS_REPORTER.path, { force: true });
  }
}

/**
 * Wall-clock times on a shared VM drift by 30 % within minutes; instruction counts do not.
 * callgrind counts what each process executes in user space (kernel time, fork and exec are
 * not in it), so these rows isolate the CPU work. Skipped when valgrind is not installed.
 */
function instructionCounts(ours: string[], floor: string[], contractFloor: string[]): Row[] {
  const runs = 5;
  const count = (args: string[]): number => {
    const result = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, ...args], {
      env: { ...CLEAN_ENV, SSH_ORIGINAL_COMMAND: 'd0 a0' },
      encoding: 'utf8',
    });
    const collected = /Collected : (\d+)/.exec(result.stderr)?.[1];
    if (result.status !== 0 || collected === undefined) throw new Error(`callgrind failed: ${result.stderr.slice(-500)}`);
    return Number(collected);
  };
  if (spawnSync('valgrind', ['--version']).status !== 0) return [];
  const medianOf = (args: string[]): number => median(Array.from({ length: runs }, () => count(args)));
  const [a, b, c] = [medianOf(ours), medianOf(floor), medianOf(contractFloor)];
  return [
    row('instructions (callgrind, user space): /bin/true action vs Node floor', a / 1e6, b / 1e6, 'M instr', 'report'),
    row('instructions (callgrind, user space): contract floor vs Node floor', c / 1e6, b / 1e6, 'M instr', 'report'),
  ];
}

function inProcessThroughput(configPath: string): Row {
  const loaded = loadConfig(configPath);
  if (!loaded.ok) throw new Error('bench config invalid');
  const config = loaded.config;
  const caller = { level: 'admin' as const, tags: [] };
  const requests = Array.from({ length: 200 }, (_, i) => `d${i % 40} a${i % 5} n=${i % 10} name=host-${i}.example`);
  const iterations = 200_000;
  const started = process.hrtime.bigint();
  let accepted = 0;
  for (let i = 0; i < iterations; i++) {
    const parsed = parseRequest(requests[i % requests.length] as string, 8192);
    if (!parsed.ok || parsed.value.action === null) continue;
    const action = authorize(config, parsed.value.domain, parsed.value.action, caller);
    if (action.ok && validateArgs(action.value, parsed.value.args).ok) accepted += 1;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (accepted !== iterations) throw new Error(`only ${accepted} of ${iterations} requests were accepted`);
  return { name: 'in-process: requests parsed + authorized + validated per second (200 actions)', ours: Math.round(iterations / seconds), baseline: 1, unit: 'req/s', ratio: 0, target: 'report' };
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
