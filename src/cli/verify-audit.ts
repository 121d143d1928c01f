import { resolveConfigPath } from '../config/index.js';
import { loadConfig } from '../config/full.js';
import { readSealKey, readSeals, type SealLogProblem } from '../output/audit-seal.js';
import { verifyAuditLog, type SealPoint, type VerifyResult } from '../output/audit-verify.js';
import { jsonLine } from '../output/json-line.js';
import { parseAuditArgs } from './_audit-args.js';

/** What an operator subcommand may touch of the process. */
export interface OperatorIO {
  readonly env: Readonly<Record<string, string | undefined>>;
  out(text: string): void;
  err(text: string): void;
}

const USAGE = 'usage: portcullis verify-audit [--audit-log PATH | --config PATH] [--segment] [--seals PATH [--key file:PATH]] [--json]';

const HELP = `${USAGE}

Verifies a hash-chained audit log (docs/audit.md) from its exact bytes. Exit 0 only for
a log that exists, is chained, intact and starts at genesis (seq 0); with --segment, a
rotated part may start later. Otherwise exit 2, naming the first bad line and what is
wrong: edited, inserted, deleted, reordered, head_cut, unchained, reset, partial,
tail_cut, missing, empty.

  --audit-log PATH  the log (default: server.audit_log of the config)
  --config PATH     the config that names it
  --segment         a rotated part: it may start after genesis
  --seals PATH      the seal log of 'portcullis audit seal': an edit the writer
                    re-chained before the last seal, or a cut tail, is caught too
  --key file:PATH   with --seals: check each seal's HMAC as well (root)
  --json            one JSON line instead of text
`;

/** `portcullis verify-audit` (docs/audit.md "verify-audit"). */
export function runVerifyAudit(args: readonly string[], io: OperatorIO): number {
  const parsed = parseAuditArgs(args, ['--audit-log', '--config', '--seals', '--key'], ['--segment', '--json']);
  if ('error' in parsed) return usage(io, parsed.error);
  if ('help' in parsed) {
    io.out(HELP);
    return 0;
  }
  const { values, flags } = parsed;
  if (values.has('--audit-log') && values.has('--config')) return usage(io, '--audit-log and --config exclude each other');
  if (values.has('--key') && !values.has('--seals')) return usage(io, '--key needs --seals');
  const path = values.get('--audit-log') ?? configuredLog(values.get('--config'), io);
  if (path === null) return 2;
  if (!path.startsWith('/')) return usage(io, '--audit-log needs an absolute path');
  const json = flags.has('--json');
  let seals: { seals: readonly SealPoint[] } | SealLogProblem = { seals: [] };
  const sealPath = values.get('--seals');
  if (sealPath !== undefined) {
    const keySpec = values.get('--key');
    const key = keySpec === undefined ? null : readSealKey(keySpec);
    if (key !== null && 'error' in key) return report(io, json, path, { line: 0, kind: 'bad_key', detail: key.error });
    // A seal log asked for and missing is a failure: a check that silently checks less.
    seals = readSeals(sealPath, key === null ? null : key.key, false);
  }
  if ('error' in seals) return report(io, json, path, { line: 0, kind: seals.kind, detail: seals.error });
  const result = verifyAuditLog(path, { segment: flags.has('--segment'), seals: seals.seals });
  return report(io, json, path, result.ok ? null : result.problem, result);
}

function configuredLog(option: string | undefined, io: OperatorIO): string | null {
  const configPath = resolveConfigPath(option, io.env);
  const loaded = loadConfig(configPath);
  if (loaded.ok) return loaded.config.server.auditLog;
  for (const problem of loaded.errors) io.err(`portcullis verify-audit: ${configPath}: ${problem.path}: ${problem.message}\n`);
  return null;
}

function report(io: OperatorIO, json: boolean, path: string, problem: { line: number; kind: string; detail: string } | null, result?: VerifyResult): number {
  const summary = result?.summary ?? null;
  if (json) {
    io.out(jsonLine({
      ok: problem === null,
      audit_log: path,
      records: summary?.records ?? 0,
      first_seq: summary?.first?.seq ?? null,
      first_prev: summary?.first?.prev ?? null,
      last_seq: summary?.last?.seq ?? null,
      last_chain: summary?.last?.chain ?? null,
      seals_matched: summary?.sealsMatched ?? 0,
      problem,
    }));
  } else if (problem === null) {
    // INVARIANT: a log without problem has records, so a first and a last.
    const s = summary as NonNullable<typeof summary>;
    io.out(`portcullis verify-audit: ${path}: intact: ${s.records} records, seq ${s.first?.seq}..${s.last?.seq}, last chain ${s.last?.chain}${s.sealsMatched > 0 ? `, ${s.sealsMatched} seals matched` : ''}\n`);
  } else {
    io.err(`portcullis verify-audit: ${path}: ${problem.line > 0 ? `line ${problem.line}: ` : ''}${problem.kind}: ${problem.detail}\n`);
  }
  return problem === null ? 0 : 2;
}

function usage(io: OperatorIO, error: string): number {
  io.err(`portcullis verify-audit: ${error} (${USAGE})\n`);
  return 2;
}
