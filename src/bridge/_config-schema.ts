import { z } from 'zod';
import { IDENTIFIER } from '../request/index.js';

/** The shape of the bridge's config file (docs/mcp.md "Config reference"). */

const HOST_ALIAS = /^[a-z0-9-]{1,32}$/;
// SECURITY: ssh reads a leading '-' as an option; a destination or -o value never starts with one.
const SSH_WORD = /^[^\s\-\x00-\x1f\x7f][^\s\x00-\x1f\x7f]*$/;
const SSH_OPTION = /^[A-Za-z][A-Za-z0-9]*[= ][^\x00-\x1f\x7f]*$/;

const identifier = z.string().regex(IDENTIFIER, 'must be a name of lowercase letters, digits, - and _, starting with a letter (at most 64)');
const absolutePath = z.string().refine((p) => p.startsWith('/') && !p.includes('\0'), 'must be an absolute path');

// One table with a refinement, not a union: each problem then names its own key.
const proofSchema = z
  .strictObject({ token: identifier.optional(), secret_file: absolutePath.optional(), signer: identifier.optional(), ssh_key: absolutePath.optional() })
  .superRefine((proof, ctx) => {
    const token = proof.token !== undefined || proof.secret_file !== undefined;
    const signer = proof.signer !== undefined || proof.ssh_key !== undefined;
    if (token && signer) ctx.addIssue({ code: 'custom', message: 'is either { token, secret_file } or { signer, ssh_key }, not both' });
    else if (!token && !signer) ctx.addIssue({ code: 'custom', message: 'must be { token = NAME, secret_file = PATH } or { signer = NAME, ssh_key = PATH }' });
    else if (token && proof.token === undefined) ctx.addIssue({ code: 'custom', path: ['token'], message: 'missing required key `token`' });
    else if (token && proof.secret_file === undefined) ctx.addIssue({ code: 'custom', path: ['secret_file'], message: 'missing required key `secret_file`' });
    else if (signer && proof.signer === undefined) ctx.addIssue({ code: 'custom', path: ['signer'], message: 'missing required key `signer`' });
    else if (signer && proof.ssh_key === undefined) ctx.addIssue({ code: 'custom', path: ['ssh_key'], message: 'missing required key `ssh_key`' });
  });

const hostSchema = z.strictObject({
  ssh: z.string().regex(SSH_WORD, 'must be an ssh destination (user@host or an ssh_config alias), without spaces and not starting with -'),
  ssh_options: z.array(z.string().regex(SSH_OPTION, 'must be one ssh -o value, Key=value (e.g. "Port=2222")')).default([]),
  sessions: z.int().min(1).max(8).default(2),
  refresh_seconds: z.int().min(10).max(86400).default(300),
  call_timeout: z.int().min(1).max(86430).optional(),
  server_id: z.string().default(''),
  proof: proofSchema.optional(),
});

export const bridgeConfigSchema = z.strictObject({
  hosts: z.record(z.string(), hostSchema).superRefine((hosts, ctx) => {
    // Checked here rather than as the record's key schema, so the message names the alias and its table is still checked.
    const aliases = Object.keys(hosts);
    if (aliases.length === 0) ctx.addIssue({ code: 'custom', message: 'must name at least one host ([hosts.ALIAS])' });
    for (const alias of aliases) {
      if (!HOST_ALIAS.test(alias)) ctx.addIssue({ code: 'custom', path: [alias], message: 'is not a host alias: 1 to 32 lowercase letters, digits and -' });
    }
  }),
});

