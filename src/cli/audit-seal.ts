import { appendSeal, readSealKey, readSeals, sealHmac } from '../output/audit-seal.js';
import { verifyAuditLog } from '../output/audit-verify.js';
import { isoTimestamp } from '../output/timestamp.js';
import { parseAuditArgs } from './_audit-args.js';
import type { OperatorIO } from './verify-audit.js';

const USAGE = 'usage: portcullis audit seal --audit-log PATH --key file:PATH --seals PATH';

const HELP = `${USAGE}

Seals the head of a chained audit log (docs/audit.md "Seals"): verifies the log as a
segment and against the earlier seals, then appends an HMAC of its last record's seq and
chain to the seal log. Meant for a root timer, with a key and a seal log the service
account can neither read nor write: 'verify-audit --seals' then catches an edit made
before the last seal even by the account itself.

Exit 0 when sealed (or when the log has no record yet); 2 on a usage error or a log that
does not verify; 129 when the key or the seal log is unusable.
`;

/** `portcullis audit seal` (docs/audit.md "Seals"). */
export function runAudit(args: readonly string[], io: OperatorIO): number {
  if (args[0] === '--help' || args[0] === '-h' || args.length === 0) {
    if (args.length === 0) return usage(io, 'a subcommand is needed');
    io.out(HELP);
    return 0;
  }
  if (args[0] !== 'seal') return usage(io, `unknown subcommand ${JSON.stringify(args[0]?.slice(0, 32))}`);
  const parsed = parseAuditArgs(args.slice(1), ['--audit-log', '--key', '--seals'], []);
  if ('error' in parsed) return usage(io, parsed.error);
  if ('help' in parsed) {
    io.out(HELP);
    return 0;
  }
  const [log, keySpec, sealPath] = ['--audit-log', '--key', '--seals'].map((name) => parsed.values.get(name));
  if (log === undefined || keySpec === undefined || sealPath === undefined) return usage(io, '--audit-log, --key and --seals are all required');
  if (!log.startsWith('/') || !sealPath.startsWith('/')) return usage(io, 'paths must be absolute');
  const key = readSealKey(keySpec);
  if ('error' in key) return unusable(io, key.error);
  const earlier = readSeals(sealPath, key.key, true);
  if ('error' in earlier) return unusable(io, earlier.error);
  const result = verifyAuditLog(log, { segment: true, seals: earlier.seals });
  if (!result.ok && result.problem.kind === 'empty') {
    io.out(`portcullis audit seal: ${log}: no record yet, nothing to seal\n`);
    return 0;
  }
  if (!result.ok) {
    const { line, kind, detail } = result.problem;
    io.err(`portcullis audit seal: ${log}: not sealed: ${line > 0 ? `line ${line}: ` : ''}${kind}: ${detail}\n`);
    return 2;
  }
  // INVARIANT: a verified log has a last record.
  const last = result.summary.last as { seq: number; chain: string };
  const point = { ts: isoTimestamp(Date.now()), seq: last.seq, chain: last.chain, ino: result.summary.ino };
  const failed = appendSeal(sealPath, { ...point, hmac: sealHmac(key.key, point) });
  if (failed !== null) return unusable(io, failed.error);
  io.out(`portcullis audit seal: ${log}: sealed seq ${last.seq} (chain ${last.chain})\n`);
  return 0;
}

function usage(io: OperatorIO, error: string): number {
  io.err(`portcullis audit: ${error} (${USAGE})\n`);
  return 2;
}

function unusable(io: OperatorIO, error: string): number {
  io.err(`portcullis audit seal: ${error}\n`);
  return 129;
}
