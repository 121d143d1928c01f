export const DEFAULT_CONFIG_PATH = '/etc/portcullis/config.toml';

/** Config path rule of docs/protocol.md §2.1: PORTCULLIS_CONFIG is honoured only outside sshd. */
export function resolveConfigPath(option: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  if (option !== undefined) return option;
  const fromEnv = env.PORTCULLIS_CONFIG;
  if (env.SSH_CONNECTION === undefined && fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return DEFAULT_CONFIG_PATH;
}

/** Where the compiled form of a config lives (ADR 0009): beside it, under the same checks. */
export function compiledPathFor(configPath: string): string {
  return `${configPath}.compiled.jsonl`;
}
