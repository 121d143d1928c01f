import type { Level } from '../errors.js';
import type { LinearPattern } from './linear-pattern.js';

/** One problem found in a configuration, named by its TOML path (`domains.app.actions.run.exec`). */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

/** A piece of an `exec` element or `env` value: literal text or a placeholder name. */
export type TemplatePart = { readonly literal: string } | { readonly placeholder: string };

export interface Template {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
}

interface ArgCommon {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
  /** Canonical text form of the default, as it would be substituted. */
  readonly default: string | null;
  readonly sensitive: boolean;
}

export type ArgSpec = ArgCommon &
  (
    | {
        readonly type: 'string';
        readonly maxLength: number;
        readonly minLength: number;
        readonly pattern: LinearPattern | null;
        readonly patternSource: string | null;
        readonly allowLeadingDash: boolean;
      }
    | { readonly type: 'enum'; readonly values: readonly string[] }
    | { readonly type: 'int'; readonly min: number | null; readonly max: number | null }
    | { readonly type: 'bool' }
    | { readonly type: 'path'; readonly root: string; readonly mustExist: boolean }
  );

export type ArgType = ArgSpec['type'];

export interface ActionConfig {
  readonly domain: string;
  readonly name: string;
  readonly description: string;
  readonly level: Level;
  readonly tags: readonly string[];
  readonly exec: readonly Template[];
  readonly timeout: number;
  readonly cwd: string;
  readonly env: ReadonlyMap<string, Template>;
  readonly stdin: { readonly maxBytes: number } | null;
  readonly maxOutputBytes: number;
  readonly args: ReadonlyMap<string, ArgSpec>;
  /** What the action does to the host, as configured; null: derived from its level (docs/config.md). */
  readonly effects: ActionEffects | null;
  readonly idempotent: boolean;
  /** Complete request texts shown by help; each one parses and passes this action's argument checks. */
  readonly examples: readonly string[];
  /** `raw`: stdout streams to the client byte for byte, the answer goes to stderr (docs/protocol.md §13). */
  readonly output: 'json' | 'raw';
  /** Cap on a raw action's stdout; past it the group is stopped (output_too_large). */
  readonly rawMaxBytes: number;
}

export type ActionEffects = 'read' | 'write' | 'destructive';

export interface DomainConfig {
  readonly name: string;
  readonly description: string;
  readonly actions: ReadonlyMap<string, ActionConfig>;
}

export interface TokenConfig {
  readonly name: string;
  /** `file:…`, `b64:…` or `hex:…`; decoded only when a proof names this token (resolveSecret). */
  readonly secretSpec: string;
  readonly level: Level;
  readonly tags: readonly string[];
  readonly description: string;
}

/** `[signers.NAME]` (docs/config.md): a public key whose SSH signatures raise a request. */
export interface SignerConfig {
  readonly name: string;
  /** The key's type, as its line names it (`ssh-ed25519`, `sk-ssh-ed25519@openssh.com`, …). */
  readonly keyType: string;
  /** The key blob in base64: what the signature must embed, byte for byte. */
  readonly publicKey: string;
  /** `SHA256:…`, as `ssh-keygen -lf` prints it; the audit's `signer_key`. */
  readonly fingerprint: string;
  readonly level: Level;
  readonly tags: readonly string[];
  readonly description: string;
  /** Security keys: the signature must also assert user verification (PIN or biometric). */
  readonly requireUserVerification: boolean;
}

export interface ServerConfig {
  readonly id: string;
  readonly auditLog: string;
  readonly stateDir: string;
  readonly defaultTimeout: number;
  readonly killGrace: number;
  readonly maxOutputBytes: number;
  readonly maxRequestBytes: number;
  readonly proofWindow: number;
  readonly maxAuthFailures: number;
  readonly lockoutSeconds: number;
  readonly env: ReadonlyMap<string, string>;
  /** Trust the `-c` line as the operator's forced line in form A+B (docs/protocol.md §2.1). */
  readonly forcedLine: boolean;
  /** `[server.session]` (docs/protocol.md §12); times in seconds. */
  readonly session: SessionConfig;
  /** `[server.audit_chain]` (docs/audit.md). */
  readonly auditChain: AuditChainConfig;
}

export interface AuditChainConfig {
  readonly enabled: boolean;
  /** flock(1), by absolute path. */
  readonly lockTool: string;
  /** Seconds a writer waits for the lock before its record fails. */
  readonly lockTimeout: number;
}

export interface SessionConfig {
  readonly enabled: boolean;
  readonly maxRequests: number;
  readonly idleTimeout: number;
  readonly maxSeconds: number;
  readonly maxLineBytes: number;
}

/** A validated configuration: every name from the network is looked up through a Map. */
export interface Config {
  readonly path: string;
  readonly server: ServerConfig;
  readonly tokens: ReadonlyMap<string, TokenConfig>;
  readonly signers: ReadonlyMap<string, SignerConfig>;
  readonly domains: ReadonlyMap<string, DomainConfig>;
  /** Why the compiled form, or a line of it, was not served (ADR 0019); absent or empty: nothing to say. */
  readonly compiledFormIgnored?: readonly string[];
}

export type LoadResult =
  | { readonly ok: true; readonly config: Config; readonly warnings: readonly ConfigProblem[] }
  | { readonly ok: false; readonly errors: readonly ConfigProblem[]; readonly warnings: readonly ConfigProblem[] };
