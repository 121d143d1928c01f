import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAudit } from './process.js';
import { LineQueue } from './line-queue.js';
import { BUNDLE } from './sshd.js';
import { makeTempDir, serverTable } from './tmp.js';

export const SESSION_SECRET = Buffer.from('session-catalog-secret-0123456789', 'utf8');
export const SESSION_SERVER_ID = 'ses-host';

/** A host with session mode on: its own directory, config, audit log and state (lockouts stay apart). */
export interface SessionHost {
  readonly dir: string;
  readonly config: string;
  readonly auditPath: string;
  audit(): Array<Record<string, any>>;
  /** Rewrites the config with other `[server.session]` lines or another `which` text. */
  rewrite(session: string, which: string): void;
}

export function makeSessionHost(session = 'enabled = true', serverExtra = ''): SessionHost {
  const dir = makeTempDir('portcullis-ses-');
  const config = join(dir, 'config.toml');
  const auditPath = join(dir, 'audit.jsonl');
  const write = (sessionLines: string, which: string): void => writeFileSync(config, sessionToml(dir, sessionLines, serverExtra, which), { mode: 0o600 });
  write(session, 'config-A');
  return { dir, config, auditPath, audit: () => readAudit(auditPath), rewrite: write };
}

function sessionToml(dir: string, session: string, serverExtra: string, which: string): string {
  return `${serverTable(dir, `id = "${SESSION_SERVER_ID}"\nkill_grace = 1\nmax_output_bytes = 4096\n${serverExtra}`)}
[server.session]
${session}

[tokens.bot]
secret = "hex:${SESSION_SECRET.toString('hex')}"
level = "admin"

[domains.t]
description = "Session test actions"
[domains.t.actions.echo]
description = "Echo"
level = "read"
exec = ["/bin/echo", "{msg}"]
[domains.t.actions.echo.args.msg]
type = "string"
[domains.t.actions.admin]
description = "Needs admin"
level = "admin"
exec = ["/bin/echo", "admin ran"]
[domains.t.actions.sleep]
description = "Sleeps"
level = "read"
exec = ["/bin/sleep", "{seconds}"]
[domains.t.actions.sleep.args.seconds]
type = "int"
min = 0
max = 99
[domains.t.actions.cat]
description = "Echo stdin"
level = "read"
exec = ["/bin/cat"]
stdin = { max_bytes = 16 }
[domains.t.actions.euro]
description = "Writes euro signs whose bytes arrive in separate writes"
level = "read"
exec = ['/bin/sh', '-c', 'printf "a\\342"; sleep 0.3; printf "\\202\\254b\\342\\202"; sleep 0.3; printf c >&2; printf "\\254"']
[domains.t.actions.big]
description = "More output than the cap"
level = "read"
exec = ["/bin/sh", "-c", "head -c 20000 /dev/zero | tr '\\\\0' a"]
[domains.t.actions.which]
description = "Says which config served it"
level = "read"
exec = ["/bin/echo", "${which}"]
`;
}

/** One session driven through the built bundle as sshd runs it (form A, `session` as the command). */
export class SessionClient {
  readonly child: ChildProcess;
  private readonly queue = new LineQueue();
  readonly exited: Promise<number | null>;
  stderr = '';

  constructor(config: string, options: { level?: string; read?: boolean } = {}) {
    this.child = spawn(BUNDLE, ['--config', config, '--level', options.level ?? 'read', '--identity', 'ses-tester'], {
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', SSH_ORIGINAL_COMMAND: 'session' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdin?.on('error', () => undefined);
    this.child.stderr?.on('data', (chunk: Buffer) => void (this.stderr += chunk.toString('utf8')));
    if (options.read !== false) this.startReading();
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
    this.exited.then(() => this.queue.close(new Error(`session closed; stderr: ${this.stderr}`)));
  }

  get pid(): number {
    return this.child.pid as number;
  }

  startReading(): void {
    this.child.stdout?.on('data', (chunk: Buffer) => this.queue.take(chunk.toString('utf8')));
  }

  /** Sends a line: an object as JSON, a string as it is; LF appended unless `raw`. */
  send(line: Record<string, unknown> | string, raw = false): boolean {
    const text = typeof line === 'string' ? line : JSON.stringify(line);
    return this.child.stdin?.write(raw ? text : `${text}\n`) ?? false;
  }

  /** The next line from the server, parsed; fails after `timeoutMs`. */
  async next(timeoutMs = 30000): Promise<Record<string, any>> {
    return JSON.parse(await this.queue.next(timeoutMs)) as Record<string, any>;
  }

  /** Lines up to and including the end line. */
  async untilEnd(timeoutMs = 30000): Promise<Array<Record<string, any>>> {
    const seen: Array<Record<string, any>> = [];
    for (;;) {
      const line = await this.next(timeoutMs);
      seen.push(line);
      if (line.event === 'end') return seen;
    }
  }

  /** The hello line, checked. */
  async hello(): Promise<Record<string, any>> {
    const hello = await this.next();
    if (hello.ok !== true || typeof hello.session?.id !== 'string') throw new Error(`no session: ${JSON.stringify(hello)} ${this.stderr}`);
    return hello;
  }

  close(): void {
    this.child.stdin?.end();
  }

  /** Peak resident memory of the server process in KiB (VmHWM). */
  peakRssKib(): number {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    return Number(match?.[1]);
  }
}
