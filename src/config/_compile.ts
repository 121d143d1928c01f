import { isAbsolute } from 'node:path';
import { BUILTIN_NAMES } from '../request/index.js';
import { checkArgValue } from './arg-values.js';
import { LinearPattern } from './linear-pattern.js';
import type { RawAction, RawArg, RawConfig } from './_schema.js';
import { isInlineSecret, resolveSecret } from './_secrets.js';
import { unreadableHint } from './_access-hint.js';
import { BUILTIN_PLACEHOLDERS, parseTemplate, placeholdersOf } from './_template.js';
import { checkExample } from './_examples.js';
import { keyFingerprint, parsePublicKeyLine } from '../auth/ssh-key.js';
import type { ActionConfig, ArgSpec, Config, ConfigProblem, DomainConfig, SignerConfig, Template, TokenConfig } from './types.js';

const RESERVED_ENV_PREFIX = 'PORTCULLIS_';
const INTERPRETERS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'python', 'python3', 'node', 'perl', 'ruby', 'awk', 'gawk', 'find', 'env', 'xargs']);

interface Problems {
  readonly errors: ConfigProblem[];
  readonly warnings: ConfigProblem[];
}

/**
 * Applies the cross-field rules of docs/config.md to a schema-valid config and compiles it
 * into Maps. `configReadableByOthers` enforces §4.6 for inline secrets.
 */
export function compileConfig(raw: RawConfig, path: string, configReadableByOthers: boolean): Problems & { config: Config | null } {
  const problems: Problems = { errors: [], warnings: [] };
  const server = {
    id: raw.server.id,
    auditLog: raw.server.audit_log,
    stateDir: raw.server.state_dir,
    defaultTimeout: raw.server.default_timeout,
    killGrace: raw.server.kill_grace,
    maxOutputBytes: raw.server.max_output_bytes,
    maxRequestBytes: raw.server.max_request_bytes,
    proofWindow: raw.server.proof_window,
    maxAuthFailures: raw.server.max_auth_failures,
    lockoutSeconds: raw.server.lockout_seconds,
    env: new Map(Object.entries(raw.server.env)),
    forcedLine: raw.server.forced_line,
    session: {
      enabled: raw.server.session.enabled,
      maxRequests: raw.server.session.max_requests,
      idleTimeout: raw.server.session.idle_timeout,
      maxSeconds: raw.server.session.max_seconds,
      maxLineBytes: raw.server.session.max_line_bytes ?? raw.server.max_request_bytes + 1024,
    },
    auditChain: {
      enabled: raw.server.audit_chain.enabled,
      lockTool: raw.server.audit_chain.lock_tool,
      lockTimeout: raw.server.audit_chain.lock_timeout,
    },
  };
  checkEnvNames(server.env.keys(), 'server.env', problems);
  for (const [key, value] of server.env) {
    if (value.includes('\0')) problems.errors.push({ path: `server.env.${key}`, message: 'must not contain NUL' });
  }

  const tokens = new Map<string, TokenConfig>();
  for (const [name, token] of Object.entries(raw.tokens)) {
    const at = `tokens.${name}.secret`;
    if (isInlineSecret(token.secret) && configReadableByOthers) {
      problems.errors.push({ path: at, message: 'an inline secret needs a config file that others cannot read (chmod o-r)' });
    }
    // Validated here, so that check and a full load fail fast; decoded again when used.
    const resolved = resolveSecret(token.secret);
    if ('error' in resolved) {
      const hint = resolved.error.endsWith('EACCES') ? unreadableHint(token.secret.slice('file:'.length)) : null;
      problems.errors.push({ path: at, message: hint ?? resolved.error });
      continue;
    }
    tokens.set(name, { name, secretSpec: token.secret, level: token.level, tags: token.tags, description: token.description });
  }

  const signers = compileSigners(raw, tokens, problems);

  const domains = new Map<string, DomainConfig>();
  for (const [domainName, domain] of Object.entries(raw.domains)) {
    if ((BUILTIN_NAMES as readonly string[]).includes(domainName)) {
      problems.errors.push({ path: `domains.${domainName}`, message: 'is a reserved built-in name' });
      continue;
    }
    const actions = new Map<string, ActionConfig>();
    for (const [actionName, action] of Object.entries(domain.actions)) {
      const compiled = compileAction(domainName, actionName, action, server, problems);
      if (compiled) actions.set(actionName, compiled);
    }
    if (actions.size === 0) problems.warnings.push({ path: `domains.${domainName}`, message: 'has no actions' });
    domains.set(domainName, { name: domainName, description: domain.description, actions });
  }

  const config = problems.errors.length === 0 ? { path, server, tokens, signers, domains } : null;
  return { ...problems, config };
}

/** `[signers.NAME]`: one checked key line each, and never the name of a token (docs/config.md). */
function compileSigners(raw: RawConfig, tokens: ReadonlyMap<string, TokenConfig>, problems: Problems): Map<string, SignerConfig> {
  const signers = new Map<string, SignerConfig>();
  for (const [name, signer] of Object.entries(raw.signers)) {
    const at = `signers.${name}`;
    // Lockout, unlock and the audit name a credential by its name alone: one name, one credential.
    if (tokens.has(name) || Object.hasOwn(raw.tokens, name)) {
      problems.errors.push({ path: at, message: `has the name of a token ([tokens.${name}]); give the signer another name` });
      continue;
    }
    const key = parsePublicKeyLine(signer.public_key);
    if ('error' in key) {
      problems.errors.push({ path: `${at}.public_key`, message: key.error });
      continue;
    }
    if (key.type === 'ssh-rsa' && (key.key.asymmetricKeyDetails?.modulusLength ?? 0) > 4096) {
      problems.errors.push({ path: `${at}.public_key`, message: 'is an RSA key of more than 4096 bits: its signatures do not fit in +sig (2048 characters)' });
      continue;
    }
    if (signer.require_user_verification && key.application === null) {
      problems.errors.push({ path: `${at}.require_user_verification`, message: `applies to security keys (sk-…) only; ${key.type} has no user verification` });
      continue;
    }
    signers.set(name, {
      name,
      keyType: key.type,
      publicKey: key.blob.toString('base64'),
      fingerprint: keyFingerprint(key.blob),
      level: signer.level,
      tags: signer.tags,
      description: signer.description,
      requireUserVerification: signer.require_user_verification,
    });
  }
  return signers;
}

function compileAction(
  domain: string,
  name: string,
  raw: RawAction,
  server: { defaultTimeout: number; maxOutputBytes: number },
  problems: Problems,
): ActionConfig | null {
  const at = `domains.${domain}.actions.${name}`;
  const errorsBefore = problems.errors.length;
  const args = new Map<string, ArgSpec>();
  for (const [argName, rawArg] of Object.entries(raw.args)) {
    const spec = compileArg(argName, rawArg, `${at}.args.${argName}`, problems);
    if (spec) args.set(argName, spec);
  }

  // Every written argument counts as declared, even one with its own error: no cascade.
  const declared = new Set<string>([...BUILTIN_PLACEHOLDERS, ...Object.keys(raw.args)]);
  const used = new Set<string>();
  const compileTemplate = (source: string, path: string): Template | null => {
    if (source.includes('\0')) {
      problems.errors.push({ path, message: 'must not contain NUL' });
      return null;
    }
    const parsed = parseTemplate(source);
    if ('error' in parsed) {
      problems.errors.push({ path, message: parsed.error });
      return null;
    }
    for (const placeholder of placeholdersOf(parsed.template)) {
      if (!declared.has(placeholder)) problems.errors.push({ path, message: `uses undeclared placeholder {${placeholder}}` });
      used.add(placeholder);
    }
    return parsed.template;
  };

  const exec = raw.exec.map((element, index) => compileTemplate(element, `${at}.exec[${index}]`));
  const program = raw.exec[0] ?? '';
  if (!isAbsolute(program)) problems.errors.push({ path: `${at}.exec[0]`, message: 'must be an absolute path' });
  if (/[{}]/.test(program)) problems.errors.push({ path: `${at}.exec[0]`, message: 'must not contain a placeholder or brace' });

  const env = new Map<string, Template>();
  checkEnvNames(Object.keys(raw.env), `${at}.env`, problems);
  for (const [key, value] of Object.entries(raw.env)) {
    const template = compileTemplate(value, `${at}.env.${key}`);
    if (template) env.set(key, template);
  }

  for (const [argName, spec] of args) {
    if (BUILTIN_PLACEHOLDERS.some((builtin) => builtin === argName)) {
      problems.errors.push({ path: `${at}.args.${argName}`, message: 'is reserved for a built-in placeholder' });
    } else if (!used.has(argName)) {
      problems.warnings.push({ path: `${at}.args.${argName}`, message: 'is declared but never used in exec or env' });
    }
    const inArgv = raw.exec.some((element) => element.includes(`{${argName}}`));
    if (spec.sensitive && inArgv) {
      problems.warnings.push({
        path: `${at}.args.${argName}`,
        message: 'is sensitive but placed in exec, where ps shows it; pass it through env instead',
      });
    }
  }
  const interpreter = program.split('/').pop() ?? '';
  if (INTERPRETERS.has(interpreter.replace(/[0-9.]+$/, '')) && raw.exec.slice(1).some((e) => /\{[a-z]/.test(e))) {
    problems.warnings.push({
      path: `${at}.exec`,
      message: `runs the interpreter ${interpreter} with a placeholder: a value may become code; prefer a script with fixed logic`,
    });
  }

  if (raw.raw_max_bytes !== undefined && raw.output !== 'raw') {
    problems.warnings.push({ path: `${at}.raw_max_bytes`, message: 'has no effect: the action\'s output is "json" (set output = "raw" for a download)' });
  }

  raw.examples.forEach((example, index) => {
    const error = checkExample(example, domain, name, args);
    if (error !== null) problems.errors.push({ path: `${at}.examples[${index}]`, message: error });
  });

  if (problems.errors.length > errorsBefore) return null;
  return {
    domain,
    name,
    description: raw.description,
    level: raw.level,
    tags: raw.tags,
    // INVARIANT: no errors were added above, so every element compiled.
    exec: exec as Template[],
    timeout: raw.timeout ?? server.defaultTimeout,
    cwd: raw.cwd,
    env,
    stdin: raw.stdin === false ? null : { maxBytes: raw.stdin.max_bytes },
    maxOutputBytes: raw.max_output_bytes ?? server.maxOutputBytes,
    args,
    effects: raw.effects ?? null,
    idempotent: raw.idempotent,
    examples: raw.examples,
    output: raw.output,
    rawMaxBytes: raw.raw_max_bytes ?? DEFAULT_RAW_MAX_BYTES,
  };
}

/** `raw_max_bytes` when the action does not set it: 1 GiB (docs/config.md). */
const DEFAULT_RAW_MAX_BYTES = 1073741824;

function compileArg(name: string, raw: RawArg, at: string, problems: Problems): ArgSpec | null {
  const hasDefault = raw.default !== undefined;
  if (raw.required === true && hasDefault) {
    problems.errors.push({ path: `${at}.required`, message: 'cannot be true when a default is given' });
    return null;
  }
  const common = {
    name,
    description: raw.description,
    required: raw.required ?? !hasDefault,
    default: null,
    sensitive: raw.sensitive,
  };
  let spec: ArgSpec;
  switch (raw.type) {
    case 'string': {
      let pattern: LinearPattern | null = null;
      if (raw.pattern !== undefined) {
        // Matched in linear time or refused here (docs/config.md "Arguments", ADR 0013).
        const compiled = LinearPattern.compile(raw.pattern);
        if ('error' in compiled) {
          problems.errors.push({ path: `${at}.pattern`, message: compiled.error });
          return null;
        }
        pattern = compiled.pattern;
      }
      if (raw.min_length > raw.max_length) {
        problems.errors.push({ path: `${at}.min_length`, message: 'is greater than max_length' });
        return null;
      }
      spec = {
        ...common,
        type: 'string',
        maxLength: raw.max_length,
        minLength: raw.min_length,
        pattern,
        patternSource: raw.pattern ?? null,
        allowLeadingDash: raw.allow_leading_dash,
      };
      break;
    }
    case 'enum':
      spec = { ...common, type: 'enum', values: raw.values };
      break;
    case 'int':
      if (raw.min !== undefined && raw.max !== undefined && raw.min > raw.max) {
        problems.errors.push({ path: `${at}.min`, message: 'is greater than max' });
        return null;
      }
      if (raw.min === undefined && raw.max !== undefined && raw.max < 0) {
        problems.errors.push({ path: `${at}.max`, message: 'is below 0, but min is not written and so is 0: write a negative min' });
        return null;
      }
      // min is 0 unless written (docs/config.md "Arguments"), so help shows the bound that applies.
      spec = { ...common, type: 'int', min: raw.min ?? 0, max: raw.max ?? null };
      break;
    case 'bool':
      spec = { ...common, type: 'bool' };
      break;
    case 'path':
      spec = { ...common, type: 'path', root: raw.root, mustExist: raw.must_exist };
      break;
  }
  if (!hasDefault) return spec;
  const checked = checkArgValue(spec, String(raw.default));
  if ('error' in checked) {
    problems.errors.push({ path: `${at}.default`, message: `is not a valid value: it ${checked.error}` });
    return null;
  }
  return { ...spec, default: checked.value };
}

function checkEnvNames(names: Iterable<string>, at: string, problems: Problems): void {
  for (const name of names) {
    if (name.startsWith(RESERVED_ENV_PREFIX)) {
      problems.errors.push({ path: `${at}.${name}`, message: `${RESERVED_ENV_PREFIX}* variables are set by Portcullis itself` });
    }
  }
}
