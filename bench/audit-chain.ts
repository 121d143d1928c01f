import { join } from 'node:path';
import { AuditLog, type AuditSubject } from '../src/output/index.js';
import { figure, median, row, type Row, type Verdict } from './table.js';

const SUBJECT: AuditSubject = {
  request_id: '00000000-0000-4000-8000-000000000000', pid: process.pid, user: 'svc', identity: 'ci', key_level: 'read', token: null,
  level: 'read', tags: [], client: '192.0.2.1 5 22', key: null, request: 'd0 a0 n=1 name=host.example', domain: 'd0', action: 'a0', args: { n: '1', name: 'host.example' },
};
const OUTCOME = { error: null, exit_code: 0, signal: null, duration_ms: 1, stdout_bytes: 0, stderr_bytes: 0, stdin_bytes: 0, stdout_sha256: 'e3b0', stderr_sha256: 'e3b0' };

/**
 * The chain's cost per request (docs/audit.md "Cost"): a decision and an outcome record
 * through AuditLog, chained (lock by flock(1), head, tail) against unchained, in this
 * process, so nothing else of a request is in the figure.
 */
export function chainCost(dir: string, pairs: number): { rows: Row[]; verdicts: Verdict[] } {
  const plain = openLog(join(dir, 'plain-audit.jsonl'), null);
  const chained = openLog(join(dir, 'chained-audit.jsonl'), { stateDir: join(dir, 'chain-state'), lockTool: '/usr/bin/flock', lockTimeout: 10 });
  const pair = (log: AuditLog): number => {
    const started = process.hrtime.bigint();
    if (!log.write('decision', SUBJECT, { decision: 'allow', error: null }) || !log.write('outcome', SUBJECT, OUTCOME)) throw new Error(`bench audit write failed: ${log.lastError}`);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  pair(plain);
  pair(chained);
  const plainMs: number[] = [];
  const chainedMs: number[] = [];
  for (let i = 0; i < pairs; i++) {
    plainMs.push(pair(plain));
    chainedMs.push(pair(chained));
  }
  const added = median(chainedMs) - median(plainMs);
  const p90 = [...chainedMs].sort((a, b) => a - b)[Math.floor(pairs * 0.9)] as number;
  return {
    rows: [
      row('audit chain: decision + outcome records, chained vs plain (in-process)', median(chainedMs), median(plainMs), 'ms', '≤ 5 ms added'),
      figure('audit chain: decision + outcome, chained, 90th percentile', p90, 'ms', 'report'),
    ],
    verdicts: [{ target: 'the chain adds ≤ 5 ms per request (decision + outcome)', figure: `${added.toFixed(2)} ms`, met: added <= 5 }],
  };
}

function openLog(path: string, chain: Parameters<typeof AuditLog.open>[1]): AuditLog {
  const opened = AuditLog.open(path, chain, 'svc');
  if ('error' in opened) throw new Error(opened.error);
  return opened.log;
}
