/**
 * The lines a session server writes, as a test or bench reads them: text split on LF, each
 * line handed out once, in order; `next` waits for one, up to a deadline, and fails once the
 * process is gone with nothing left to read.
 */
export class LineQueue {
  private buffered = '';
  private readonly lines: string[] = [];
  private wake: (() => void) | null = null;
  private closedBy: Error | null = null;

  take(chunk: string): void {
    this.buffered += chunk;
    const parts = this.buffered.split('\n');
    this.buffered = parts.pop() ?? '';
    this.lines.push(...parts);
    this.wake?.();
  }

  /** No more lines will come; `next` fails with `error` once the queue is empty. */
  close(error: Error): void {
    this.closedBy = error;
    this.wake?.();
  }

  async next(timeoutMs = Number.POSITIVE_INFINITY): Promise<string> {
    const give = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.closedBy !== null) throw this.closedBy;
      if (Date.now() > give) throw new Error('no line from the server in time');
      await new Promise<void>((resolve) => {
        const timer = Number.isFinite(give) ? setTimeout(resolve, Math.max(1, give - Date.now())) : null;
        this.wake = () => {
          if (timer !== null) clearTimeout(timer);
          this.wake = null;
          resolve();
        };
      });
    }
  }
}
