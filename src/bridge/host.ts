import { helpAnswerSchema, type HelpAnswer } from './_help-answer.js';
import type { HostConfig } from './config.js';
import { HostPool, type RequestLine } from './pool.js';
import { ProofError, signerFor, type RequestSigner } from './proof.js';
import { requestText } from './request-text.js';
import { toolResult, type ToolResult } from './result.js';
import type { CallOutcome } from './session-link.js';
import { STDIN_PROPERTY } from './tool-schema.js';
import type { HostDiscovery, ToolSpec } from './tools.js';

/** How long discovery (`help`) may take before the host counts as down. */
const DISCOVERY_TIMEOUT_MS = 30_000;
/** A call waits this much longer than the action's own timeout (docs/mcp.md "Config reference"). */
const CALL_GRACE_SECONDS = 30;
const DEFAULT_ACTION_TIMEOUT = 60;

/** What a tool handler is given by the MCP server: cancellation and progress. */
export interface CallContext {
  readonly signal: AbortSignal;
  progress?(message: string): void;
}

/** One configured host: its pool of sessions, its proof, what it showed last. */
export class Host {
  readonly pool: HostPool;
  private readonly signer: RequestSigner | null;

  constructor(readonly config: HostConfig) {
    this.pool = new HostPool(config);
    this.signer = signerFor(config);
  }

  /**
   * Asks the host what it offers (docs/mcp.md "Tools"): `help` as the key sees it, and with
   * the proof when one is configured, so that actions above the key's level become tools
   * whose calls are signed.
   */
  async discover(signal: AbortSignal, report: (line: string) => void): Promise<HostDiscovery | { error: string }> {
    this.pool.retrySessions();
    const plain = await this.help(null, signal);
    if ('error' in plain) return plain;
    let raised: HelpAnswer | null = null;
    if (this.signer !== null) {
      const signed = await this.help(this.signer, signal);
      // The key's own tools stay usable when the proof fails (a wrong secret, no signer).
      if ('error' in signed) report(`${this.config.alias}: ${signed.error}; only the actions the key sees without the proof are tools`);
      else raised = signed;
    }
    return { alias: this.config.alias, plain, raised };
  }

  /** Calls one tool of this host and turns what comes back into a tool result. Never throws. */
  async call(tool: ToolSpec, args: Readonly<Record<string, unknown>>, context: CallContext): Promise<ToolResult> {
    const command = requestText(tool.domain, tool.action, args);
    // INVARIANT: the typeof check just made holds for the cast.
    const stdin = tool.stdin && typeof args[STDIN_PROPERTY] === 'string' ? (args[STDIN_PROPERTY] as string) : null;
    // INVARIANT: needsProof is set only for a host whose discovery was signed.
    const line = tool.needsProof ? this.signed(this.signer as RequestSigner, command, stdin) : command;
    const timeout = this.config.callTimeout ?? (tool.timeout ?? DEFAULT_ACTION_TIMEOUT) + CALL_GRACE_SECONDS;
    const onChunk = context.progress === undefined ? undefined : (stream: string, data: string) => context.progress?.(`${stream}: ${data.slice(0, 1000)}`);
    const outcome = await this.pool.call(line, { stdin, ...(onChunk !== undefined ? { onChunk } : {}) }, context.signal, timeout * 1000);
    return toolResult(outcome);
  }

  close(): void {
    this.pool.close();
  }

  /** The request signed when its call has its turn (see RequestLine). */
  private signed(signer: RequestSigner, command: string, stdin: string | null): RequestLine {
    return async () => {
      try {
        return await signer(command, stdin);
      } catch (error) {
        return { failure: error instanceof ProofError ? error.message : `host ${this.config.alias}: the proof could not be made`, kind: 'protocol' };
      }
    };
  }

  private async help(signer: RequestSigner | null, signal: AbortSignal): Promise<HelpAnswer | { error: string }> {
    const line = signer === null ? 'help' : this.signed(signer, 'help', null);
    const outcome: CallOutcome = await this.pool.call(line, { stdin: null }, signal, DISCOVERY_TIMEOUT_MS, true);
    if ('failure' in outcome) return { error: outcome.failure };
    const parsed = helpAnswerSchema.safeParse(outcome.answer);
    if (parsed.success) return parsed.data;
    // INVARIANT: only read with a typeof check; a host may send anything here.
    const error = outcome.answer.error as { code?: unknown } | undefined;
    const what = signer === null ? 'help' : 'help with the configured proof';
    return { error: `host ${this.config.alias} answered ${what} with ${typeof error?.code === 'string' ? error.code : 'something that is not a help answer'}` };
  }
}
