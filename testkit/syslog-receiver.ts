import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { makeTempDir } from './tmp.js';

/**
 * A real syslog receiver on a Unix stream socket: logger(1) tries a datagram socket first,
 * then a stream one, so its lines land here exactly as they would reach a syslog daemon.
 */
export class SyslogReceiver {
  readonly socket: string;
  private readonly server: Server;
  private received = '';

  private constructor(socket: string) {
    this.socket = socket;
    this.server = createServer((connection) => connection.on('data', (chunk: Buffer) => (this.received += chunk.toString('utf8'))));
  }

  static async start(): Promise<SyslogReceiver> {
    const receiver = new SyslogReceiver(join(makeTempDir('portcullis-syslog-'), 'log.sock'));
    await new Promise<void>((resolve) => receiver.server.listen(receiver.socket, resolve));
    return receiver;
  }

  /** The lines received so far, with their `<priority>` prefix. */
  lines(): string[] {
    return this.received.split('\n').filter((line) => line !== '');
  }

  /** Waits for logger's connection to deliver (it is closed before the bundle exits, but the data event may lag). */
  async settle(): Promise<string[]> {
    await new Promise((resolve) => setTimeout(resolve, 100));
    return this.lines();
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
