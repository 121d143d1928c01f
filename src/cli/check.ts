import { statSync } from 'node:fs';
import { runningAccount } from '../auth/identity.js';
import { errorCode } from '../errors.js';
import { compiledFormDefect, compiledPathFor, readCapped, resolveConfigPath, type Config, type ConfigProblem } from '../config/index.js';
import { loadConfig, writeCompiledConfig } from '../config/full.js';
import { configWarnings } from './_config-warnings.js';
import { CHECK_HELP, CHECK_USAGE, parseCheckArgs } from './_check-args.js';
import { runCheckKeys } from './check-keys.js';
import type { CheckWarning } from './_check-warning.js';
import { readEffectiveSshdConfig, readSshdWarnings } from './_sshd-warnings.js';
import { jsonLine } from '../output/json-line.js';
import { inspectAuditLog } from '../output/audit-file.js';
import { chainFindings } from './_chain-check.js';
import { isExecutableFile } from './_executable.js';
import { inspectStateDir } from '../auth/state-dir.js';
import { compiledFormWidening } from '../config/_no-wider.js';

interface CheckIO {
  readonly env: Readonly<Record<string, string | undefined>>;
  out(text: string): void;
  err(text: string): void;
}

/**
 * `portcullis check` (docs/config.md "portcullis check"): everything a real run would validate, plus what only
 * shows at run time (programs, audit log, state dir). Exit 0 when valid, 129 when not.
 */
export function runCheck(args: readonly string[], io: CheckIO): number {
  const parsed = parseCheckArgs(args);
  if ('help' in parsed) {
    io.out(CHECK_HELP);
    return 0;
  }
  if ('error' in parsed) {
    // A usage error is one line on stderr and exit 2 (docs/config.md "portcullis check").
    io.err(`portcullis check: ${parsed.error} (${CHECK_USAGE})\n`);
    return 2;
  }
  if (parsed.keys !== undefined) return runCheckKeys({ ...parsed, keys: parsed.keys }, io);
  const { configOption, json, compile } = parsed;
  const path = resolveConfigPath(configOption, io.env);
  const loaded = loadConfig(path);
  const errors: ConfigProblem[] = loaded.ok ? [] : [...loaded.errors];
  const sshdSource = { account: parsed.account ?? runningAccount(), ...(parsed.sshdConfig !== undefined ? { configFile: parsed.sshdConfig } : {}) };
  const sshd = readEffectiveSshdConfig(sshdSource);
  const warnings: ConfigProblem[] = [...loaded.warnings];
  const sshdFindings: CheckWarning[] = 'text' in sshd
    ? readSshdWarnings(sshd.text, sshdSource.account)
    : [{ path: 'sshd', code: 'sshd_not_read', message: `settings for ${sshdSource.account} not checked: ${sshd.reason}` }];
  // SECURITY: once the forced line is trusted, a client that can set SSH_ORIGINAL_COMMAND
  // turns its own -c text into operator options: an error, not a warning (docs/install.md §4).
  const forcedLineTrusted = loaded.ok && loaded.config.server.forcedLine === true;
  for (const finding of sshdFindings) {
    // Unread settings are unverified ones: the trust depends on exactly what was not read.
    if (forcedLineTrusted && (finding.reaches?.includes('SSH_ORIGINAL_COMMAND') === true || finding.code === 'sshd_not_read')) {
      errors.push({ ...finding, message: `${finding.message} (server.forced_line = true trusts the -c line only while no client can set SSH_ORIGINAL_COMMAND)` });
    } else {
      warnings.push(finding);
    }
  }
  if (loaded.ok) errors.push(...runtimeProblems(loaded.config));
  const audit = loaded.ok ? inspectAuditLog(loaded.config.server.auditLog) : null;
  errors.push(...(audit?.problems ?? []).map((message) => ({ path: 'server.audit_log', message })));
  warnings.push(...(audit?.warnings ?? []).map((message) => ({ path: 'server.audit_log', message })));
  if (loaded.ok) warnings.push(...configWarnings(loaded.config));
  const chain = loaded.ok ? chainFindings(loaded.config) : { errors: [], warnings: [], status: null };
  errors.push(...chain.errors);
  warnings.push(...chain.warnings);
  const summary = loaded.ok ? summarize(loaded.config) : null;
  // The compiled form needs only a config that loads: serving accepts one whose programs are
  // missing (those actions answer exec_failed), so it may be compiled too.
  // --compile fails the check when it cannot write a form that will be served (docs/config.md "portcullis check").
  const compiled = loaded.ok ? compileStep(loaded.config, compile) : { problem: compile ? { path: '(compiled)', message: 'not written: the config is invalid' } : null, written: null };
  if (compiled.problem !== null) (compile ? errors : warnings).push(compiled.problem);
  const ok = errors.length === 0;

  if (json) {
    const sshdRead = { account: sshdSource.account, sshd_config: parsed.sshdConfig ?? null, read: 'text' in sshd };
    io.out(jsonLine({ ok, config: path, summary, audit_log: audit?.file ?? null, errors, warnings, sshd: sshdRead, ...(compile ? { compiled: compiled.written } : {}) }));
  } else {
    io.out(`portcullis check: ${path}\n`);
    if (summary) {
      io.out(`  ${summary.domains.length} domains, ${summary.actions} actions (read ${summary.levels.read}, ops ${summary.levels.ops}, admin ${summary.levels.admin})\n`);
      for (const domain of summary.domains) io.out(`  ${domain.name}: ${domain.actions.join(', ')}\n`);
      io.out(`  tags: ${summary.tags.join(', ') || '(none)'}\n  tokens: ${summary.tokens.join(', ') || '(none)'}\n`);
      io.out(`  signers:${summary.signers.length === 0 ? ' (none)' : ''}\n`);
      // The fingerprint as `ssh-keygen -lf` prints it, so the operator can compare with the key holder's.
      for (const signer of summary.signers) io.out(`    ${signer.name}: ${signer.fingerprint} ${signer.type} (level ${signer.level})\n`);
      if (audit?.file) io.out(`  audit log: owner uid ${audit.file.uid}, group gid ${audit.file.gid}, mode ${audit.file.mode}\n`);
      if (chain.status !== null) io.out(`  audit chain: ${chain.status}\n`);
    }
    if (compiled.written !== null) io.out(`  compiled form: written to ${compiled.written}\n`);
    io.out(`  sshd: settings for account ${sshdSource.account}${parsed.sshdConfig !== undefined ? ` from ${parsed.sshdConfig}` : ''}${'text' in sshd ? '' : ' not read'}\n`);
    for (const problem of errors) io.out(`error: ${problem.path}: ${problem.message}\n`);
    for (const problem of warnings) io.out(`warning: ${problem.path}: ${problem.message}\n`);
    io.out(ok ? `OK (${warnings.length} warnings)\n` : `INVALID: ${errors.length} errors, ${warnings.length} warnings\n`);
  }
  return ok ? 0 : 129;
}

function runtimeProblems(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const domain of config.domains.values()) {
    for (const action of domain.actions.values()) {
      const program = action.exec[0]?.source ?? '';
      if (!isExecutableFile(program)) {
        problems.push({ path: `domains.${domain.name}.actions.${action.name}.exec[0]`, message: `${program} does not exist or is not an executable file` });
      }
      if (!isDirectory(action.cwd)) problems.push({ path: `domains.${domain.name}.actions.${action.name}.cwd`, message: `${action.cwd} is not a directory` });
    }
  }
  if (config.tokens.size > 0 || config.signers.size > 0) {
    for (const message of inspectStateDir(config.server.stateDir)) problems.push({ path: 'server.state_dir', message });
  }
  return problems;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function summarize(config: Config) {
  const levels = { read: 0, ops: 0, admin: 0 };
  const tags = new Set<string>();
  let actions = 0;
  const domains = [...config.domains.values()].map((domain) => {
    for (const action of domain.actions.values()) {
      actions += 1;
      levels[action.level] += 1;
      for (const tag of action.tags) tags.add(tag);
    }
    return { name: domain.name, actions: [...domain.actions.keys()] };
  });
  for (const token of config.tokens.values()) for (const tag of token.tags) tags.add(tag);
  for (const signer of config.signers.values()) for (const tag of signer.tags) tags.add(tag);
  const signers = [...config.signers.values()].map((s) => ({ name: s.name, fingerprint: s.fingerprint, type: s.keyType, level: s.level }));
  return { domains, actions, levels, tags: [...tags].sort(), tokens: [...config.tokens.keys()], signers };
}

/**
 * With --compile, writes the compiled form the serve path uses instead of TOML and zod
 * (ADR 0009) and says where; its problem is then an error. Without it, warns when that form
 * is missing, stale or has a defect (ADR 0019).
 */
function compileStep(config: Config, compile: boolean): { problem: ConfigProblem | null; written: string | null } {
  if (!compile) {
    const wider = compiledFormWidening(config.path);
    if (wider !== null) return { problem: { path: '(compiled)', message: wider }, written: null };
    const defect = compiledFormDefect(config.path);
    if (defect === null) return { problem: null, written: null };
    const message = defect === 'missing'
      ? 'no current compiled form: every request parses the TOML (slower); run portcullis check --compile'
      : `the compiled form is not used (every request parses the TOML): ${defect}; run portcullis check --compile`;
    return { problem: { path: '(compiled)', message }, written: null };
  }
  const source = readCapped(config.path);
  if ('error' in source) return { problem: { path: '(compiled)', message: `not written: the config ${source.error}` }, written: null };
  let written: string;
  try {
    written = writeCompiledConfig(config, source);
  } catch (error) {
    return { problem: { path: '(compiled)', message: `not written: ${compiledPathFor(config.path)}: ${errorCode(error)}` }, written: null };
  }
  const defect = compiledFormDefect(config.path);
  if (defect !== null) {
    return { problem: { path: '(compiled)', message: `${written} was written but will not be used: ${defect === 'missing' ? 'it must pass the config\'s own checks and have the config\'s owner' : defect}` }, written: null };
  }
  return { problem: null, written };
}
