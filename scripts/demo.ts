/**
 * `npm run demo`: a real sshd on 127.0.0.1 with throwaway keys serving config/demo.toml,
 * real ssh calls, and their JSON. Cleans up after itself.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareDemoDir, removeDemoDir, type DemoDir } from '../testkit/demo-dir.js';
import { reachableBundle } from '../testkit/reachable-bundle.js';
import { BUNDLE, SshdHarness, type SshResult } from '../testkit/sshd.js';
import { ensureSshd } from './ensure-sshd.js';

/** What the throwaway account runs: copies it can reach wherever the checkout sits. */
interface Served {
  readonly bundle: string;
  readonly config: string;
  readonly demo: DemoDir;
}

const bold = (text: string): string => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

function show(title: string, shown: string, result: SshResult): void {
  console.log(`\n${bold(`▶ ${title}`)}\n  $ ${shown}`);
  const body = result.json ?? result.stdout;
  console.log(typeof body === 'string' ? body : JSON.stringify(body, null, 2).replace(/^/gm, '  '));
  if (result.stderr) console.log(`  stderr: ${result.stderr.trim()}`);
  console.log(`  exit status: ${result.status}`);
}

/**
 * The recommended setup (form A+B, docs/install.md section 4): a service account whose login
 * shell is Portcullis, through a root-owned wrapper naming the config before -c; that
 * config opts in with `forced_line = true`, so each key's command= line applies.
 */
function createServiceAccount(account: string, shellDir: string, served: Served): void {
  const wrapper = join(shellDir, 'portcullis-shell');
  writeFileSync(wrapper, `#!/bin/sh\nexec ${served.bundle} --config ${served.config} "$@"\n`, { mode: 0o755 });
  // '*' rather than a locked '!' password: sshd without PAM refuses locked accounts, even for keys.
  execFileSync('useradd', ['--no-create-home', '--home-dir', served.demo.dir, '--shell', wrapper, '--password', '*', account]);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the demo needs root (sudo npm run demo): it runs its own sshd on loopback and creates a throwaway service account');
  ensureSshd();
  const demo = prepareDemoDir();
  const account = `pcldemo${randomBytes(2).toString('hex')}`;
  const shellDir = mkdtempSync(join(tmpdir(), 'portcullis-demo-shell-'));
  chmodSync(shellDir, 0o755);
  const served: Served = { bundle: reachableBundle(shellDir), config: join(shellDir, 'demo.toml'), demo };
  copyFileSync(demo.config, served.config);
  chmodSync(served.config, 0o644);
  createServiceAccount(account, shellDir, served);
  try {
    await runDemo(account, served);
  } finally {
    execFileSync('userdel', [account]);
    rmSync(shellDir, { recursive: true, force: true });
    removeDemoDir(demo);
  }
}

async function runDemo(account: string, served: Served): Promise<void> {
  // What an operator does after every edit: validate, and write the compiled form.
  const checked = execFileSync(served.bundle, ['check', '--config', served.config, '--compile'], { encoding: 'utf8' });
  console.log(bold('$ portcullis check --config config/demo.toml --compile'));
  console.log(checked.replace(/^/gm, '  ').trimEnd());
  // After check, which runs as root and may create the audit log: the account appends to it.
  execFileSync('chown', ['-R', `${account}:${account}`, served.demo.dir]);
  const command = (options: string): string => `restrict,command="${served.bundle} ${options}"`;
  const sshd = await SshdHarness.start([
    { name: 'reader', options: command('--level read --identity demo-reader'), user: account },
    { name: 'operator', options: command('--level ops --identity demo-operator'), user: account },
  ]);
  try {
    console.log(bold(`Portcullis demo: sshd on 127.0.0.1:${sshd.port} serving config/demo.toml to account ${account}`));
    console.log(`  login shell: portcullis --config ${served.config}; one key per caller, each with command="portcullis --level … --identity …" (form A+B, forced_line = true)`);
    const call = async (title: string, key: string, request: string | null, stdin?: string): Promise<void> => {
      const shown = `ssh -i ${key}.key ${account}@127.0.0.1 ${request === null ? '' : `'${request}'`}${stdin ? ` < settings.toml` : ''}`;
      show(title, shown, await sshd.ssh(key, request, stdin === undefined ? {} : { stdin }));
    };
    await call('Discovery: what may this key do?', 'reader', 'list');
    await call('Help for one action', 'reader', 'help infra disk');
    await call('An allowed action with an argument', 'reader', 'infra disk mount=/tmp');
    await call('A path argument, resolved under its root', 'reader', 'logs tail file=app.log lines=2');
    await call('Denied: a read key asks for an admin action', 'reader', 'app deploy channel=canary');
    await call('Malformed: shell syntax is not a shell here', 'reader', 'infra disk; cat /etc/shadow');
    await call('Refused: a path that climbs out of its root', 'reader', 'logs tail file=../../../etc/passwd');
    await call('Hidden: a tenant domain looks like it does not exist', 'reader', 'billing report');
    await call('Stdin as the action\'s input', 'operator', 'app import', 'theme = "dark"\n');
    await call('A timeout: the action sleeps past its 2 s limit', 'operator', 'app migrate seconds=10');

    const signed = execFileSync(BUNDLE, ['sign', '--token', 'deploy-bot', '--secret-file', join(served.demo.dir, 'deploy-bot.secret'), '--server-id', 'demo-host', 'app deploy channel=canary'], {
      encoding: 'utf8',
    }).trim();
    console.log(`\n${bold('▶ A token proof raises the read key to admin for one request')}\n  $ portcullis sign --token deploy-bot --secret-file … 'app deploy channel=canary'\n  ${signed}`);
    show('The signed request', `ssh -i reader.key ${account}@127.0.0.1 "$(portcullis sign …)"`, await sshd.ssh('reader', signed));
    show('The same signed request, replayed', `ssh -i reader.key ${account}@127.0.0.1 '<the same line again>'`, await sshd.ssh('reader', signed));

    const requests = ['{"id":"1","request":"infra healthcheck"}', '{"id":"2","request":"whoami"}', '{"id":"3","request":"infra disk; id"}'];
    const session = await sshd.ssh('reader', 'session', { extraArgs: ['-T'], stdin: `${requests.join('\n')}\n` });
    console.log(`\n${bold('▶ Session mode: three requests over one connection, one JSON line each')}`);
    console.log(`  $ printf '%s\\n' … | ssh -T -i reader.key ${account}@127.0.0.1 session`);
    for (const line of requests) console.log(`  > ${line}`);
    for (const line of session.stdout.trim().split('\n')) console.log(`  ${line}`);
    console.log(`  exit status: ${session.status}`);

    const noCommand = await sshd.ssh('reader', null, { extraArgs: ['-T'] });
    show('No command at all', `ssh -i reader.key ${account}@127.0.0.1`, noCommand);

    console.log(`\n${bold('▶ The audit log (last 4 records)')}`);
    const lines = readFileSync(join(served.demo.dir, 'audit.jsonl'), 'utf8').trim().split('\n');
    for (const line of lines.slice(-4)) console.log(`  ${line}`);
    console.log(`\n${lines.length} audit records written to ${served.demo.dir}/audit.jsonl (removed with the demo).`);
  } finally {
    await sshd.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
