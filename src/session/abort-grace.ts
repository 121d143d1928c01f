import type { AbortWatch } from '../exec/index.js';

/** How long writes may still take after a stop signal: the answer and end line usually fit. */
export const ABORT_GRACE_MS = 500;

/**
 * Bounds a session's waits by the abort: `within(p)` settles when `p` does, or
 * `graceMs` after the session was aborted, or after its own `limitMs`, whichever comes
 * first, and says whether `p` was the one. Unlike racing each wait
 * against one long-lived promise (every `Promise.race` leaves a reaction on it, about
 * 0.7 KiB per request for the life of the session), a settled wait leaves nothing behind.
 */
export class AbortGrace {
  private expired = false;
  private readonly waiters = new Set<() => void>();

  constructor(abort: AbortWatch, graceMs = ABORT_GRACE_MS) {
    const start = (): void => void setTimeout(() => this.expire(), graceMs);
    if (abort.aborted) start();
    else abort.addEventListener('abort', start);
  }

  within(promise: Promise<void>, limitMs?: number): Promise<boolean> {
    if (this.expired) return Promise.resolve(false);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (settled: boolean): void => {
        if (!this.waiters.delete(cut)) return;
        clearTimeout(timer);
        resolve(settled);
      };
      const cut = (): void => settle(false);
      this.waiters.add(cut);
      if (limitMs !== undefined) timer = setTimeout(cut, limitMs);
      promise.then(() => settle(true), () => settle(true));
    });
  }

  /** Waits still pending: for tests, which prove settled ones are forgotten. */
  get pending(): number {
    return this.waiters.size;
  }

  private expire(): void {
    this.expired = true;
    for (const done of [...this.waiters]) done();
  }
}
