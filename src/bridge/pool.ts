import type { HostConfig } from './config.js';
import { oneShotCall, type RunningCall } from './one-shot.js';
import { SessionLink, type CallOptions, type CallOutcome } from './session-link.js';

/**
 * A call's request line, or how to make it once the call has its turn: a proof is made only
 * then, so a call that waited behind others never carries a stale one (each stale proof
 * counts towards the credential's lockout), and a call cancelled while it waited costs no
 * touch of a security key.
 */
export type RequestLine = string | (() => Promise<string | CallOutcome>);

/**
 * The sessions of one host (docs/mcp.md "Transport"): at most `sessions` of them, opened on
 * first need, replaced after an end or a failure; calls beyond that wait their turn. A host
 * whose `session` is refused is called one-shot until the next refresh asks again.
 */
export class HostPool {
  private readonly links: SessionLink[] = [];
  private readonly waiting: Array<() => void> = [];
  private oneShot = false;
  private everOpened = false;
  /** Called when a session opens after an earlier one ended: the host may have changed. */
  onReconnect: (() => void) | null = null;

  constructor(readonly host: HostConfig) {}

  /** Sessions are tried again (the operator may have enabled them). */
  retrySessions(): void {
    this.oneShot = false;
  }

  /** One request; stopped (and the server's action aborted) when `signal` aborts or the time runs out. */
  async call(request: RequestLine, options: CallOptions, signal: AbortSignal, timeoutMs: number, fresh = false): Promise<CallOutcome> {
    let running: RunningCall | null = null;
    let early: CallOutcome | null = null;
    const stopWith = (outcome: CallOutcome): void => {
      early ??= outcome;
      running?.stop(outcome);
    };
    const onAbort = (): void => stopWith({ failure: 'the call was cancelled; the host stopped the action', kind: 'cancelled' });
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => stopWith({ failure: `no answer within ${Math.round(timeoutMs / 1000)} s (call_timeout); the host stopped the action`, kind: 'timeout' }), timeoutMs);
    try {
      if (signal.aborted) onAbort();
      if (early !== null) return early;
      // A session reads its config once: what must see the host's current config goes one-shot.
      const stopped = (): CallOutcome | null => early;
      running = fresh ? await this.oneShotWhenReady(request, options, stopped) : await this.start(request, options, stopped);
      if (early !== null) running.stop(early);
      this.running.add(running);
      return await running.outcome;
    } finally {
      if (running !== null) this.running.delete(running);
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** The bridge is closing: idle sessions end politely, running calls are stopped (the host aborts their actions). */
  close(): void {
    const closing: CallOutcome = { failure: 'the bridge is closing', kind: 'cancelled' };
    for (const link of this.links.splice(0)) {
      if (link.busy) link.stop(closing);
      else link.close();
    }
    for (const call of this.running) call.stop(closing);
  }

  private readonly running = new Set<RunningCall>();

  /** The host's config changed: idle sessions end now, busy ones after their call; new ones read the new config. */
  recycle(): void {
    for (const link of this.links) {
      // A claimed session may be about to carry its call: it ends when released, not now.
      if (this.claimed.has(link) || link.busy) this.retiring.add(link);
      else {
        link.retire();
      }
    }
    this.prune();
  }

  private readonly retiring = new Set<SessionLink>();

  private async start(request: RequestLine, options: CallOptions, stopped: () => CallOutcome | null): Promise<RunningCall> {
    if (this.oneShot) return this.oneShotWhenReady(request, options, stopped);
    const link = await this.acquire();
    if (link === 'one-shot') return this.oneShotWhenReady(request, options, stopped);
    if ('failure' in link || 'answer' in link) return settled(link);
    const line = await lineForTurn(request, stopped);
    if (typeof line !== 'string') {
      this.release(link);
      return settled(line);
    }
    if (!link.fits(line, options)) {
      // The line would break the session's limit (a large upload): this call goes one-shot.
      this.release(link);
      return oneShotCall(this.host, line, options);
    }
    const outcome = link.call(line, options).finally(() => this.release(link));
    return { outcome, stop: (why) => link.stop(why) };
  }

  private async oneShotWhenReady(request: RequestLine, options: CallOptions, stopped: () => CallOutcome | null): Promise<RunningCall> {
    const line = await lineForTurn(request, stopped);
    return typeof line === 'string' ? oneShotCall(this.host, line, options) : settled(line);
  }

  /** An idle live session, a new one when the pool has room, or the next one freed. */
  private async acquire(): Promise<SessionLink | 'one-shot' | CallOutcome> {
    for (;;) {
      this.prune();
      const idle = this.links.find((l) => !l.busy && !l.dead && !this.claimed.has(l));
      if (idle !== undefined) {
        this.claimed.add(idle);
        return idle;
      }
      if (this.links.length < this.host.sessions) {
        const link = new SessionLink(this.host);
        this.links.push(link);
        this.claimed.add(link);
        const ready = await link.ready;
        if (ready === 'ready') {
          if (this.everOpened) this.onReconnect?.();
          this.everOpened = true;
          return link;
        }
        this.claimed.delete(link);
        this.prune();
        this.wakeOne();
        if (ready === 'disabled') {
          this.oneShot = true;
          return 'one-shot';
        }
        return ready;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private readonly claimed = new Set<SessionLink>();

  private release(link: SessionLink): void {
    this.claimed.delete(link);
    if (this.retiring.delete(link)) {
      link.retire();
    }
    this.prune();
    this.wakeOne();
  }

  private wakeOne(): void {
    this.waiting.shift()?.();
  }

  private prune(): void {
    for (let i = this.links.length - 1; i >= 0; i--) {
      const link = this.links[i] as SessionLink; // INVARIANT: i is within the array.
      if (link.dead) {
        this.links.splice(i, 1);
        this.claimed.delete(link);
      }
    }
  }
}

/**
 * The call's line, made only now that it has its turn. SECURITY: a call cancelled or timed
 * out while it waited (for a session to open, or behind other calls) is never signed, so it
 * costs no touch of a security key, and one stopped while its proof was made is never sent.
 */
export async function lineForTurn(request: RequestLine, stopped: () => CallOutcome | null): Promise<string | CallOutcome> {
  const before = stopped();
  if (before !== null) return before;
  const line = typeof request === 'string' ? request : await request();
  return typeof line === 'string' ? (stopped() ?? line) : line;
}

/** A call that ends before anything is sent. */
function settled(outcome: CallOutcome): RunningCall {
  return { outcome: Promise.resolve(outcome), stop: () => {} };
}
