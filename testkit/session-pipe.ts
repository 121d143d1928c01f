import type { ChildProcess } from 'node:child_process';

export type Line = Record<string, any>;

/**
 * The client side of a session (docs/protocol.md §12) over a spawned process's stdin and
 * stdout: the bundle itself, `ssh … session`, or anything else that speaks JSON Lines.
 */
export class PipeSessionClient {
  private buffered = '';
  private readonly lines: Line[] = [];
  private waiting: { resolve: (line: Line) => void; reject: (error: Error) => void } | null = null;
  private closed: Error | null = null;
  private readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => this.take(chunk));
    child.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) => child.on('close', (status) => {
      this.fail(new Error(`session process ${child.spawnargs.join(' ')} exited (${status})`));
      resolve(status);
    }));
  }

  /** Waits for the first line, the answer to `session`; throws when it is a refusal. */
  static async open(child: ChildProcess): Promise<{ client: PipeSessionClient; hello: Line }> {
    const client = new PipeSessionClient(child);
    const hello = await client.next();
    if (hello.ok !== true || typeof hello.session !== 'object') throw new Error(`no session: ${JSON.stringify(hello)}`);
    return { client, hello };
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send(line: Line): void {
    this.child.stdin?.write(`${JSON.stringify(line)}\n`);
  }

  /** The next line out of the session. */
  next(): Promise<Line> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.closed !== null) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** One request, one answer; throws unless the answer is `ok` and carries `id`. */
  async request(id: string, request: string): Promise<Line> {
    this.send({ id, request });
    return this.expectOk(id, await this.next());
  }

  /**
   * `count` requests with up to `window` of them sent ahead of their answers (the server
   * reads at most 16 ahead, docs/protocol.md §12).
   */
  async pipeline(count: number, request: string, window: number, idPrefix = 'p'): Promise<void> {
    let sent = 0;
    for (; sent < Math.min(window, count); sent++) this.send({ id: `${idPrefix}${sent}`, request });
    for (let answered = 0; answered < count; answered++) {
      this.expectOk(`${idPrefix}${answered}`, await this.next());
      if (sent < count) this.send({ id: `${idPrefix}${sent++}`, request });
    }
  }

  /** Closes our side and returns the end line; the process has exited when this settles. */
  async end(): Promise<Line> {
    this.child.stdin?.end();
    const end = await this.next();
    await this.exited;
    return end;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  private expectOk(id: string, answer: Line): Line {
    if (answer.id !== id || answer.ok !== true) throw new Error(`request ${id} failed: ${JSON.stringify(answer)}`);
    return answer;
  }

  private take(chunk: string): void {
    this.buffered += chunk;
    for (let end = this.buffered.indexOf('\n'); end >= 0; end = this.buffered.indexOf('\n')) {
      const line = JSON.parse(this.buffered.slice(0, end)) as Line;
      this.buffered = this.buffered.slice(end + 1);
      const waiting = this.waiting;
      this.waiting = null;
      if (waiting !== null) waiting.resolve(line);
      else this.lines.push(line);
    }
  }

  private fail(error: Error): void {
    this.closed = error;
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(error);
  }
}
