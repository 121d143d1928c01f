import { readFileSync } from 'node:fs';
import { resolveConfigPath, type Config } from '../config/index.js';
import { loadConfig } from '../config/full.js';
import { parseOperatorOptions } from '../invocation/parse-argv.js';
import { jsonLine } from '../output/json-line.js';
import { parseAuthorizedKeysLine, parsePrincipalsLine, type KeysLine } from './_authorized-keys.js';
import type { CheckArgs } from './_check-args.js';
import type { CheckWarning } from './_check-warning.js';
import { lintEntry, type KeysEntry, type LintContext } from './_keys-lint.js';

interface CheckKeysIO {
  readonly env: Readonly<Record<string, string | undefined>>;
  out(text: string): void;
}

const MAX_KEYS_FILE_BYTES = 4 * 1024 * 1024;

/**
 * `portcullis check --keys FILE` (docs/config.md "portcullis check --keys"): lints an
 * authorized_keys file or an AuthorizedPrincipalsFile against the config, and shows per key
 * or principal what it is served at and which actions it can see. Exit 0 valid, 129 not.
 */
export function runCheckKeys(args: CheckArgs & { readonly keys: string }, io: CheckKeysIO): number {
  const configPath = resolveConfigPath(args.configOption, io.env);
  const errors: CheckWarning[] = [];
  const warnings: CheckWarning[] = [];
  const loaded = loadConfig(configPath);
  if (!loaded.ok) for (const problem of loaded.errors) errors.push({ path: problem.path, code: 'config_invalid', message: `${configPath}: ${problem.message}` });
  const forcedLine = loaded.ok && loaded.config.server.forcedLine === true;

  const text = readKeysFile(args.keys);
  if (typeof text !== 'string') errors.push({ path: args.keys, code: 'keys_unreadable', message: text.error });
  const lines = typeof text === 'string' ? text.split('\n') : [];
  const format = lines.some((line) => parseAuthorizedKeysLine(line).kind === 'key') ? 'authorized_keys' : 'principals';
  const parse: (line: string) => KeysLine = format === 'authorized_keys' ? parseAuthorizedKeysLine : parsePrincipalsLine;

  const configs = new Map<string, Config | string>();
  configs.set(configPath, loaded.ok ? loaded.config : `${configPath} does not load`);
  const context: LintContext = {
    forcedLine,
    account: args.account ?? null,
    defaultConfig: configPath,
    configAt: (path) => {
      let config = configs.get(path);
      if (config === undefined) {
        const other = loadConfig(path);
        config = other.ok ? other.config : `${path}: ${other.errors[0]?.path ?? ''}: ${other.errors[0]?.message ?? 'does not load'}`;
        configs.set(path, config);
      }
      return config;
    },
    serveOptions: parseOperatorOptions,
  };
  const entries: KeysEntry[] = [];
  const firstLineOf = new Map<string, number>();
  lines.forEach((raw, index) => {
    const number = index + 1;
    const at = `${args.keys}:${number}`;
    const parsed = parse(raw);
    if (parsed.kind === 'blank') return;
    if (parsed.kind === 'invalid') {
      errors.push({ path: at, code: 'key_line_invalid', message: `sshd ignores this line: ${parsed.reason}` });
      return;
    }
    const who = parsed.kind === 'key' ? parsed.key.fingerprint : parsed.principal;
    const earlier = firstLineOf.get(who);
    if (earlier === undefined) firstLineOf.set(who, number);
    else warnings.push({ path: at, code: 'key_duplicate', message: `${JSON.stringify(who)} is also on line ${earlier}: sshd uses the first line whose from= matches` });
    const result = lintEntry(parsed, number, context);
    entries.push(result.entry);
    for (const finding of result.findings) (finding.error ? errors : warnings).push({ path: at, code: finding.code, message: finding.message });
  });
  if (typeof text === 'string' && entries.length === 0 && errors.length === 0) warnings.push({ path: args.keys, code: 'keys_empty', message: 'no key or principal in this file' });

  const ok = errors.length === 0;
  if (args.json) {
    io.out(jsonLine({ ok, keys: args.keys, format, config: configPath, forced_line: forcedLine, entries, errors, warnings }));
  } else {
    const noun = format === 'principals' ? 'principal' : 'key';
    io.out(`portcullis check --keys: ${args.keys} (${format}, ${entries.length} ${noun}${entries.length === 1 ? '' : 's'}) against ${configPath}${forcedLine ? ' (forced_line = true)' : ''}\n`);
    io.out(renderTable(entries));
    for (const problem of errors) io.out(`error: ${problem.path}: ${problem.code}: ${problem.message}\n`);
    for (const problem of warnings) io.out(`warning: ${problem.path}: ${problem.code}: ${problem.message}\n`);
    io.out(ok ? `OK (${warnings.length} warnings)\n` : `INVALID: ${errors.length} errors, ${warnings.length} warnings\n`);
  }
  return ok ? 0 : 129;
}

function readKeysFile(path: string): string | { error: string } {
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_KEYS_FILE_BYTES) return { error: `larger than ${MAX_KEYS_FILE_BYTES} bytes` };
    return bytes.toString('utf8');
  } catch (error) {
    return { error: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
}

/** Who sees what: one row per key or principal (docs/config.md "portcullis check --keys"). */
function renderTable(entries: readonly KeysEntry[]): string {
  const rows = [
    ['line', 'key or principal', 'served', 'identity', 'level', 'tags', 'actions'],
    ...entries.map((entry) => [
      String(entry.line),
      printable(entry.principal ?? `${entry.key_type ?? ''} ${entry.fingerprint ?? ''}${entry.comment ? ` ${entry.comment}` : ''}`),
      entry.served,
      entry.level === null ? '-' : entry.identity ?? '(account)',
      entry.level ?? '-',
      entry.tags === null ? '-' : entry.tags.join(',') || '(none)',
      entry.actions === null ? '-' : entry.actions.join(', ') || '(none)',
    ]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => `  ${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ')}\n`).join('');
}

/** A comment or principal from the file, shown without the control characters it may hold (a \r, a terminal escape). */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
