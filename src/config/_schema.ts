import { z } from 'zod';
import { IDENTIFIER } from '../request/index.js';

/** The shape of a configuration file (docs/config.md). Cross-field rules live in _compile.ts. */

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const identifier = z.string().regex(IDENTIFIER, 'must be a name of lowercase letters, digits, - and _, starting with a letter (at most 64)');
const absolutePath = z.string().refine((p) => p.startsWith('/') && !p.includes('\0'), 'must be an absolute path');
const level = z.enum(['read', 'ops', 'admin']);
const boundedInt = (min: number, max: number) => z.int().min(min).max(max);
const envTable = z.record(z.string().regex(ENV_NAME, 'must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)'), z.string());
const tags = z.array(identifier);

const DEFAULT_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C.UTF-8',
};

const sessionSchema = z.strictObject({
  enabled: z.boolean().default(false),
  max_requests: boundedInt(1, 1000000).default(1000),
  idle_timeout: boundedInt(1, 86400).default(120),
  max_seconds: boundedInt(1, 604800).default(3600),
  max_line_bytes: boundedInt(1024, 67108864).optional(),
});

const auditChainSchema = z.strictObject({
  enabled: z.boolean().default(false),
  lock_tool: absolutePath.default('/usr/bin/flock'),
  lock_timeout: boundedInt(1, 300).default(10),
});

const serverSchema = z.strictObject({
  audit_log: absolutePath,
  id: z.string().default(''),
  state_dir: absolutePath.default('/var/lib/portcullis'),
  default_timeout: boundedInt(1, 86400).default(60),
  kill_grace: boundedInt(0, 60).default(5),
  max_output_bytes: boundedInt(1, 67108864).default(1048576),
  max_request_bytes: boundedInt(256, 65536).default(8192),
  proof_window: boundedInt(10, 3600).default(120),
  max_auth_failures: boundedInt(1, 1000).default(5),
  lockout_seconds: boundedInt(1, 86400).default(600),
  env: envTable.default(DEFAULT_ENV),
  forced_line: z.boolean().default(false),
  // prefault: the inner defaults apply when the table is absent (zod 4's default() would not parse it).
  session: sessionSchema.prefault({}),
  audit_chain: auditChainSchema.prefault({}),
});

const tokenSchema = z.strictObject({
  secret: z.string(),
  level,
  tags: tags.default([]),
  description: z.string().default(''),
});

const signerSchema = z.strictObject({
  // The key line is checked in _compile.ts, where the key itself is parsed.
  public_key: z.string(),
  level,
  tags: tags.default([]),
  description: z.string().default(''),
  require_user_verification: z.boolean().default(false),
});

const argCommon = {
  description: z.string().default(''),
  required: z.boolean().optional(),
  sensitive: z.boolean().default(false),
};

const argSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('string'),
    ...argCommon,
    default: z.string().optional(),
    max_length: boundedInt(1, 4096).default(256),
    min_length: boundedInt(0, 4096).default(0),
    pattern: z.string().optional(),
    allow_leading_dash: z.boolean().default(false),
  }),
  z.strictObject({
    type: z.literal('enum'),
    ...argCommon,
    default: z.string().optional(),
    values: z.array(z.string()).min(1),
  }),
  z.strictObject({
    type: z.literal('int'),
    ...argCommon,
    default: z.int().optional(),
    min: z.int().optional(),
    max: z.int().optional(),
  }),
  z.strictObject({ type: z.literal('bool'), ...argCommon, default: z.boolean().optional() }),
  z.strictObject({
    type: z.literal('path'),
    ...argCommon,
    default: z.string().optional(),
    root: absolutePath,
    must_exist: z.boolean().default(false),
  }),
]);

const actionSchema = z.strictObject({
  description: z.string(),
  level,
  tags: tags.default([]),
  exec: z.array(z.string()).min(1),
  timeout: boundedInt(1, 86400).optional(),
  cwd: absolutePath.default('/'),
  env: envTable.default({}),
  stdin: z.union([z.literal(false), z.strictObject({ max_bytes: boundedInt(1, 1073741824) })], { error: 'must be false or { max_bytes = N } (N from 1 to 1073741824)' }).default(false),
  max_output_bytes: boundedInt(1, 67108864).optional(),
  args: z.record(identifier, argSchema).default({}),
  effects: z.enum(['read', 'write', 'destructive']).optional(),
  idempotent: z.boolean().default(false),
  examples: z.array(z.string()).default([]),
  output: z.enum(['json', 'raw']).default('json'),
  raw_max_bytes: boundedInt(1, 1099511627776).optional(),
});

const domainSchema = z.strictObject({
  description: z.string(),
  actions: z.record(identifier, actionSchema),
});

export const configSchema = z.strictObject({
  server: serverSchema,
  tokens: z.record(identifier, tokenSchema).default({}),
  signers: z.record(identifier, signerSchema).default({}),
  domains: z.record(identifier, domainSchema).default({}),
});

export type RawConfig = z.infer<typeof configSchema>;
export type RawAction = z.infer<typeof actionSchema>;
export type RawArg = z.infer<typeof argSchema>;
