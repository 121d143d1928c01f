import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The real bundle under test. */
export const BUNDLE = resolve(__dirname, '..', '..', 'dist', 'portcullis.js');
export const SSHD = '/usr/sbin/sshd';

export interface ClientKey {
  /** Name used to pick the key in `ssh()`. */
  readonly name: string;
  /** The authorized_keys options, e.g. `restrict,command="… --level ops"`; empty for none. */
  readonly options: string;
  /** The account the key logs in to (default root). */
  readonly user?: string;
}

export interface SshResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The JSON answer on stdout, when there is exactly one line of it. */
  readonly json: Record<string, any> | null;
}

export interface SshOptions {
  readonly stdin?: Buffer | string;
  readonly extraArgs?: readonly string[];
  readonly timeoutMs?: number;
}

/**
 * A real OpenSSH sshd on 127.0.0.1 with throwaway host and client keys and its own
 * sshd_config (ExposeAuthInfo on). No Docker, no mocks.
 */
export class SshdHarness {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly process: ChildProcess,
    private readonly keyFiles: ReadonlyMap<string, { file: string; user: string }>,
  ) {}

  static async start(keys: readonly ClientKey[], extraConfig = ''): Promise<SshdHarness> {
    if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: apt-get install openssh-server`);
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-sshd-'));
    chmodSync(dir, 0o755);
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_ed25519')]);
    const keyDir = join(dir, 'authorized');
    mkdirSync(keyDir, { mode: 0o755 });
    const byUser = new Map<string, string[]>();
    const keyFiles = new Map<string, { file: string; user: string }>();
    for (const key of keys) {
      const file = join(dir, `client_${key.name}`);
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', key.name, '-f', file]);
      const user = key.user ?? 'root';
      const line = `${key.options ? `${key.options} ` : ''}${readFileSync(`${file}.pub`, 'utf8').trim()}`;
      byUser.set(user, [...(byUser.get(user) ?? []), line]);
      keyFiles.set(key.name, { file, user });
    }
    for (const [user, lines] of byUser) writeFileSync(join(keyDir, user), `${lines.join('\n')}\n`, { mode: 0o644 });

    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const configPath = join(dir, 'sshd_config');
      writeFileSync(configPath, sshdConfig(dir, port, extraConfig), { mode: 0o600 });
      const child = spawn(SSHD, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
      let log = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        if (log.length < 65536) log += chunk.toString();
      });
      if (await waitForPort(port, child)) return new SshdHarness(dir, port, child, keyFiles);
      child.kill('SIGKILL');
      if (attempt >= 3) throw new Error(`sshd did not start: ${log}`);
    }
  }

  /** Runs `ssh -i <key> user@127.0.0.1 <command>` with the real client. */
  ssh(keyName: string, command: string | null, options: SshOptions = {}): Promise<SshResult> {
    return runProcess('ssh', this.sshArgs(keyName, command, options.extraArgs), options.stdin, options.timeoutMs ?? 60000);
  }

  /** The arguments of `ssh` for `ssh()`, for callers that spawn a long-lived client themselves. */
  sshArgs(keyName: string, command: string | null, extraArgs: readonly string[] = []): string[] {
    const key = this.keyFiles.get(keyName);
    if (key === undefined) throw new Error(`no key ${keyName}`);
    return [
      '-F', '/dev/null',
      '-i', key.file,
      '-p', String(this.port),
      '-o', 'BatchMode=yes',
      '-o', 'IdentitiesOnly=yes',
      '-o', 'StrictHostKeyChecking=no',
      '-o', 'UserKnownHostsFile=/dev/null',
      '-o', 'LogLevel=ERROR',
      ...extraArgs,
      `${key.user}@127.0.0.1`,
      ...(command === null ? [] : ['--', command]),
    ];
  }

  /**
   * Runs ssh from a local /bin/sh as a person types it (`ssh host t echo msg="a b"`): that
   * shell splits and unquotes `line` into ssh's arguments, and ssh joins them with spaces.
   */
  sshFromShell(keyName: string, line: string, options: SshOptions = {}): Promise<SshResult> {
    const key = this.keyFiles.get(keyName);
    if (key === undefined) throw new Error(`no key ${keyName}`);
    const args = ['-F', '/dev/null', '-i', key.file, '-p', String(this.port), '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes',
      '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', `${key.user}@127.0.0.1`];
    return runProcess('/bin/sh', ['-c', `exec ssh "$@" ${line}`, 'sh', ...args], options.stdin, options.timeoutMs ?? 60000);
  }

  async stop(): Promise<void> {
    this.process.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A real sshd serving a config written by someone else (the Ansible role's test), on
 * 127.0.0.1 and a free port given on its command line.
 */
export async function startSshdWithConfig(configPath: string): Promise<{ port: number; stop(): void }> {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(SSHD, ['-D', '-e', '-f', configPath, '-o', `Port=${port}`, '-o', 'ListenAddress=127.0.0.1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (log.length < 65536) log += chunk.toString();
    });
    if (await waitForPort(port, child)) return { port, stop: () => child.kill('SIGTERM') };
    child.kill('SIGKILL');
    if (attempt >= 3) throw new Error(`sshd did not start: ${log}`);
  }
}

function sshdConfig(dir: string, port: number, extra: string): string {
  return `Port ${port}
ListenAddress 127.0.0.1
HostKey ${dir}/host_ed25519
PidFile ${dir}/sshd.pid
AuthorizedKeysFile ${dir}/authorized/%u
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin yes
UsePAM no
ExposeAuthInfo yes
PrintMotd no
MaxStartups 400:30:400
MaxSessions 100
LogLevel ERROR
Subsystem sftp internal-sftp
# The test account's bash would source ~/.bashrc for every ssh command (bash does when sshd
# starts it at SHLVL 1); whatever the machine's ~/.bashrc does must not slow or change the tests.
SetEnv SHLVL=1
${extra}
`;
}

export function runProcess(
  file: string,
  args: readonly string[],
  stdin: Buffer | string | undefined,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SshResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(file, args, { env, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    if (stdin !== undefined) {
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(stdin);
    }
    child.on('close', (status) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      resolvePromise({ status, stdout, stderr: Buffer.concat(err).toString('utf8'), json: parseSingleJsonLine(stdout) });
    });
  });
}

/** The JSON object when `text` is exactly one line of JSON followed by a newline. */
export function parseSingleJsonLine(text: string): Record<string, any> | null {
  if (!text.endsWith('\n') || text.indexOf('\n') !== text.length - 1) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as Record<string, any>) : null;
  } catch {
    return null;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) return false;
    const open = await new Promise<boolean>((resolvePromise) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolvePromise(true);
      });
      socket.once('error', () => resolvePromise(false));
    });
    if (open) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
