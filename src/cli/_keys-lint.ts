import type { Config } from '../config/index.js';
import type { Level } from '../errors.js';
import type { ServeOptions } from '../invocation/parse-argv.js';
import { isVisible } from '../policy/authorize.js';
import type { KeysLine } from './_authorized-keys.js';
import type { KeyOptions } from './_key-options.js';

/** How sshd hands this key's sessions to Portcullis, if at all. */
export type Served = 'command' | 'login-shell' | 'refused' | 'not-gated';

export interface KeysEntry {
  readonly line: number;
  readonly kind: 'key' | 'principal';
  readonly key_type: string | null;
  readonly fingerprint: string | null;
  readonly comment: string | null;
  readonly principal: string | null;
  readonly command: string | null;
  readonly served: Served;
  /** null: the account name (the default identity). */
  readonly identity: string | null;
  readonly level: Level | null;
  readonly tags: readonly string[] | null;
  readonly config: string | null;
  /** `domain action` for every action this key can run; null when it cannot be known. */
  readonly actions: readonly string[] | null;
}

export interface Finding {
  readonly error: boolean;
  readonly code: string;
  readonly message: string;
}

export interface LintContext {
  readonly forcedLine: boolean;
  readonly account: string | null;
  readonly defaultConfig: string;
  /** The loaded config at a path, or why it does not load. */
  configAt(path: string): Config | string;
  serveOptions(words: readonly string[]): { readonly options: ServeOptions } | { readonly error: string };
}

// What a login shell reads as plain words: outside this set, `sh -c` (form A) and
// Portcullis's own split (form A+B) would read the line differently.
const PLAIN_COMMAND = /^[A-Za-z0-9_./,:=@%+ \t-]*$/;
const PORTCULLIS_NAMES = new Set(['portcullis', 'portcullis.js']);

/** The findings of one key or principal line, and its row in the who-sees-what table. */
export function lintEntry(line: Exclude<KeysLine, { kind: 'blank' | 'invalid' }>, number: number, context: LintContext): { entry: KeysEntry; findings: Finding[] } {
  const findings: Finding[] = [...restrictionFindings(line.options)];
  if (line.kind === 'principal' && /[\s"\u0000-\u001f\u007f]/.test(line.principal)) {
    findings.push({ error: true, code: 'principal_suspect', message: `sshd reads the principal as ${JSON.stringify(line.principal)} (the text after the last space, a CRLF file's \\r included)` });
  }
  const base = {
    line: number,
    kind: line.kind,
    key_type: line.kind === 'key' ? line.key.type : null,
    fingerprint: line.kind === 'key' ? line.key.fingerprint : null,
    comment: line.kind === 'key' ? line.key.comment : null,
    principal: line.kind === 'principal' ? line.principal : null,
    command: line.options.command,
  };
  const served = servedAs(line.options.command, context, findings);
  if (served.options === null) {
    return { entry: { ...base, served: served.served, identity: null, level: null, tags: null, config: null, actions: null }, findings };
  }
  const options = served.options;
  const configPath = options.config ?? context.defaultConfig;
  const config = context.configAt(configPath);
  // The default config's own problems are reported once, as config_invalid.
  if (typeof config === 'string' && configPath !== context.defaultConfig) {
    findings.push({ error: true, code: 'command_config_invalid', message: `the config of this key does not load: ${config}` });
  }
  const caller = { level: options.level, tags: options.tags };
  const actions = typeof config === 'string' ? null : visibleActions(config, caller);
  return {
    entry: { ...base, served: served.served, identity: options.identity ?? context.account, level: options.level, tags: options.tags, config: configPath, actions },
    findings,
  };
}

function restrictionFindings(options: KeyOptions): Finding[] {
  const granted = [
    options.pty ? 'pty' : null,
    options.portForwarding ? 'port-forwarding' : null,
    options.agentForwarding ? 'agent-forwarding' : null,
    options.x11Forwarding ? 'x11-forwarding' : null,
  ].filter((name) => name !== null);
  const findings: Finding[] = [];
  if (granted.length > 0) {
    findings.push({ error: true, code: 'key_not_restricted', message: `sshd grants ${granted.join(', ')}: put restrict first (or no-pty and every no-*-forwarding)` });
  } else if (options.userRc) {
    findings.push({ error: false, code: 'key_user_rc', message: 'sshd runs ~/.ssh/rc for this key: add no-user-rc, or use restrict' });
  }
  if (options.from === null) findings.push({ error: false, code: 'key_no_from', message: 'no from=: the key is accepted from any address' });
  if (options.environment.length > 0) {
    findings.push({ error: false, code: 'key_environment', message: `environment= sets ${options.environment.map((e) => e.slice(0, e.indexOf('='))).join(', ')} before Node starts, where PermitUserEnvironment allows it` });
  }
  return findings;
}

function servedAs(command: string | null, context: LintContext, findings: Finding[]): { served: Served; options: ServeOptions | null } {
  if (command === null) {
    findings.push(
      context.forcedLine
        ? { error: true, code: 'key_no_command', message: 'no command=: with server.forced_line = true every key needs one, or its -c text is the client\'s own' }
        : { error: false, code: 'key_no_command', message: 'no command=: gated only where Portcullis is the login shell (level read, no tags), and an internal-sftp subsystem bypasses it' },
    );
    return { served: 'login-shell', options: { config: undefined, level: 'read', identity: undefined, tags: [], diagnostic: false } };
  }
  if (!PLAIN_COMMAND.test(command)) {
    findings.push({ error: true, code: 'command_shell_syntax', message: 'command= holds characters a login shell interprets (quotes, $, ;, |, …): sh -c and Portcullis would read it differently' });
    return { served: 'not-gated', options: null };
  }
  // Split as Portcullis splits the forced line of form A+B (docs/protocol.md §2.1).
  const words = command.split(/[ \t]+/).filter((word) => word !== '');
  const program = words[0] ?? '';
  if (!PORTCULLIS_NAMES.has(program.slice(program.lastIndexOf('/') + 1))) {
    findings.push({ error: true, code: 'command_not_portcullis', message: `command= runs ${JSON.stringify(program.slice(0, 64))}, not portcullis: this key is not gated` });
    return { served: 'not-gated', options: null };
  }
  const parsed = context.serveOptions(words.slice(1));
  if ('error' in parsed) {
    findings.push({ error: true, code: 'command_bad_option', message: `${parsed.error}: every request of this key answers service_unavailable` });
    return { served: 'refused', options: null };
  }
  if (words.length > 1 && !context.forcedLine) {
    findings.push({
      error: false,
      code: 'command_untrusted',
      message: 'command= holds options but server.forced_line is not true: with Portcullis as the login shell every request of this key answers service_unavailable',
    });
  }
  if (parsed.options.diagnostic) findings.push({ error: false, code: 'command_diagnostic', message: '--diagnostic shows server details to this client: for setup only' });
  return { served: 'command', options: parsed.options };
}

function visibleActions(config: Config, caller: { level: Level; tags: readonly string[] }): string[] {
  const actions: string[] = [];
  for (const domain of config.domains.values()) {
    for (const action of domain.actions.values()) if (isVisible(action, caller)) actions.push(`${domain.name} ${action.name}`);
  }
  return actions;
}
