import type { ChildProcess } from 'node:child_process';
import { LineQueue } from './line-queue.js';

export type Line = Record<string, any>;

/**
 * The client side of a session (docs/protocol.md §12) over a spawned process's stdin and
 * stdout: the bundle itself, `ssh … session`, or anything else that speaks JSON Lines.
 */
export class PipeSessionClient {
  private readonly queue = new LineQueue();
  private readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => this.queue.take(chunk));
    child.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) => child.on('close', (status) => {
      this.queue.close(new Error(`session process ${child.spawnargs.join(' ')} exited (${status})`));
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
  async next(): Promise<Line> {
    return JSON.parse(await this.queue.next()) as Line;
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
}
