import type { HostConfig } from './config.js';
import type { CallOptions, CallOutcome } from './session-link.js';
import { connectionFailure, spawnSsh } from './ssh.js';

const MAX_ANSWER = 64 * 1024 * 1024;

/** A call under way: its outcome, and a way to stop it (the ssh ends, the server aborts). */
export interface RunningCall {
  readonly outcome: Promise<CallOutcome>;
  stop(outcome: CallOutcome): void;
}

/** One request over its own ssh, for a host without session mode (docs/mcp.md "Transport"). */
export function oneShotCall(host: HostConfig, requestLine: string, options: CallOptions): RunningCall {
  const ssh = spawnSsh(host, requestLine);
  let stdout = '';
  let stopped: CallOutcome | null = null;
  ssh.child.stdout.on('data', (chunk: string) => {
    if (stdout.length < MAX_ANSWER) stdout += chunk;
  });
  ssh.child.stdin.end(options.stdin ?? '');
  const outcome = ssh.exited.then((exit): CallOutcome => {
    if (stopped !== null) return stopped;
    const last = stdout.trimEnd().split('\n').at(-1) ?? '';
    try {
      const answer: unknown = JSON.parse(last);
      // INVARIANT: a non-null, non-array object (checked in the same condition).
      if (answer !== null && typeof answer === 'object' && !Array.isArray(answer)) return { answer: answer as Record<string, unknown> };
    } catch {}
    return { failure: connectionFailure(host, ssh, exit), kind: 'connection' };
  });
  return {
    outcome,
    stop: (why) => {
      stopped ??= why;
      ssh.stop();
    },
  };
}
