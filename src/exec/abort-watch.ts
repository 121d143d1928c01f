/**
 * What the executor needs of an abort signal: a subset of AbortSignal, so tests may pass a
 * real one. ProcessAbort implements it without Node's AbortController, whose first use
 * loads EventTarget and costs about 0.4 ms of every call (ADR 0012).
 */
export interface AbortWatch {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Fires its listeners once, on the first abort; listeners added later see `aborted`. */
export class ProcessAbort implements AbortWatch {
  aborted = false;
  private readonly listeners = new Set<() => void>();

  addEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.add(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.delete(listener);
  }

  /** Every listener runs (each may kill a process group) before the first error is rethrown. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const errors: unknown[] = [];
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}
