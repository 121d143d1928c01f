import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { inspectStateDir } from '../auth/state-dir.js';
import type { Config, ConfigProblem } from '../config/index.js';
import { startOf } from '../output/audit-chain.js';
import { readHead, readTailLink } from '../output/audit-head.js';
import { isExecutableFile } from './_executable.js';

/**
 * What `check` verifies for `[server.audit_chain]` (docs/audit.md): a usable state_dir and a
 * lock tool that runs; a warning when the head and the log's tail disagree, since the next
 * record will then be a chain_reset.
 */
export function chainFindings(config: Config): { errors: ConfigProblem[]; warnings: ConfigProblem[]; status: string | null } {
  const chain = config.server.auditChain;
  if (!chain.enabled) return { errors: [], warnings: [], status: null };
  const errors: ConfigProblem[] = [];
  // With tokens or signers check reports the state_dir already (runtimeProblems): once is enough.
  if (config.tokens.size === 0 && config.signers.size === 0) {
    for (const message of inspectStateDir(config.server.stateDir)) errors.push({ path: 'server.state_dir', message: `${message} (the audit chain keeps its head and lock there)` });
  }
  if (!isExecutableFile(chain.lockTool)) {
    errors.push({ path: 'server.audit_chain.lock_tool', message: `${chain.lockTool} does not exist or is not an executable file (flock(1), from util-linux)` });
  }
  const headPath = join(config.server.stateDir, 'audit.head');
  const disagreement = headDisagreement(config.server.auditLog, headPath);
  const head = readHead(headPath);
  const status = `on, ${head === null ? 'no record chained yet' : head === 'invalid' ? 'head unreadable' : `head at seq ${head.seq}`}, lock by ${chain.lockTool}`;
  return { errors, warnings: disagreement === null ? [] : [{ path: 'server.audit_chain', message: disagreement }], status };
}

function headDisagreement(logPath: string, headPath: string): string | null {
  let fd: number;
  try {
    fd = openSync(logPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null; // A missing log is created by the first request and starts or continues the chain.
  }
  try {
    const file = fstatSync(fd);
    const start = startOf(readHead(headPath), readTailLink(fd), { ino: file.ino, dev: file.dev });
    return start.reset === null ? null : `${start.reset.reason}: the next record will be a chain_reset (start a chain on a fresh log: rotate it first)`;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
