/** What the execution stage runs: the policy stage fills it in, fully substituted. */
export interface ExecPlan {
  readonly file: string;
  readonly args: readonly string[];
  /** Null prototype; built only from the configured allowlist, never from process.env. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
}
