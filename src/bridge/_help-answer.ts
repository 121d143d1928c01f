import { z } from 'zod';

/**
 * The parts of a host's `help` answer the bridge reads (docs/protocol.md §7.2). The answer
 * comes over the network from a server that may be older or newer: it is validated, unknown
 * members are ignored, and an action the bridge cannot describe exactly is left out.
 */
const argSchema = z.object({
  name: z.string(),
  type: z.string(),
  description: z.string().default(''),
  required: z.boolean(),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  values: z.array(z.string()).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  max_length: z.number().optional(),
  min_length: z.number().optional(),
  pattern: z.string().optional(),
  allow_leading_dash: z.boolean().optional(),
  must_exist: z.boolean().optional(),
  sensitive: z.boolean().default(false),
});

const actionSchema = z.object({
  name: z.string(),
  description: z.string().default(''),
  level: z.string(),
  tags: z.array(z.string()).default([]),
  stdin: z.union([z.literal(false), z.object({ max_bytes: z.number() })]).default(false),
  effects: z.enum(['read', 'write', 'destructive']).optional(),
  idempotent: z.boolean().default(false),
  examples: z.array(z.string()).default([]),
  output: z.string().default('json'),
  timeout: z.number().optional(),
  args: z.array(argSchema).default([]),
});

export const helpAnswerSchema = z.object({
  ok: z.literal(true),
  domains: z.array(z.object({ name: z.string(), description: z.string().default(''), actions: z.array(actionSchema) })),
});

export type HelpArg = z.output<typeof argSchema>;
export type HelpAction = z.output<typeof actionSchema>;
export type HelpAnswer = z.output<typeof helpAnswerSchema>;
