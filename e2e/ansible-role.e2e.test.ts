import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readAudit } from '../testkit/process.js';
import { BUNDLE, runProcess, SSHD, startSshdWithConfig, type SshResult } from '../testkit/sshd.js';
import { fingerprintOf } from './fixture.js';

// contrib/ansible/roles/portcullis, run as an operator runs it (ansible-playbook, here with
// -c local) against a prefix: every path the role writes lies under a scratch directory,
// the machine's sshd and accounts are untouched but for one throwaway account removed
// after. Three runs in all, since ansible is slow: converge, idempotence, a broken config.
// Each run plays two inventory hosts, both local, each with its own prefix and account:
// `gate` with the sshd drop-in, keys and certificate mode; `hardened`, whose sshd_config
// has no Include, with the Match block appended to it. Then a test sshd started on each
// host's produced files serves its key (and on `gate` a certificate).

const ROLES = resolve(__dirname, '..', '..', 'contrib', 'ansible', 'roles');
const isRoot = process.getuid?.() === 0;
const hasAnsible = spawnSync('ansible-playbook', ['--version']).status === 0;
const account = `pcl${randomBytes(3).toString('hex')}a`;
const hardenedAccount = `pcl${randomBytes(3).toString('hex')}h`;

let prefix: string;
let hardenedPrefix: string;
let work: string;
let sshd: { port: number; stop(): void } | undefined;
let hardenedSshd: { port: number; stop(): void } | undefined;
let broken: Run;
let brokenKeys: { before: Buffer; after: Buffer } | undefined;
let ciKey: { key: string; identity: string; level: string; tags: string[]; from: string };

const under = (path: string) => join(prefix, path);
const keygen = (...args: string[]) => execFileSync('ssh-keygen', ['-q', ...args], { encoding: 'utf8' });

interface Run {
  status: number | null;
  output: string;
  /** Per inventory host: its changed and failed counts from the recap. */
  recap: Record<string, { changed: number; failed: number }>;
}

/** One ansible-playbook run of the role; `extra` overrides variables for this run only. */
function play(extra: Record<string, unknown> = {}): Run {
  const varsFile = join(work, `vars-${randomBytes(3).toString('hex')}.json`);
  writeFileSync(varsFile, JSON.stringify(extra));
  const result = spawnSync('ansible-playbook', ['-i', join(work, 'inventory', 'hosts'), join(work, 'playbook.yml'), '-e', `@${varsFile}`], {
    encoding: 'utf8',
    env: {
      PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
      HOME: work,
      LANG: 'C.UTF-8',
      ANSIBLE_CONFIG: join(work, 'ansible.cfg'),
      ANSIBLE_ROLES_PATH: ROLES,
      ANSIBLE_LOCAL_TEMP: join(work, 'ansible-local'),
      ANSIBLE_REMOTE_TEMP: join(work, 'ansible-remote'),
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_FORCE_COLOR: '0',
    },
    timeout: 300000,
  });
  const output = result.stdout + result.stderr;
  const recap: Run['recap'] = {};
  for (const m of output.matchAll(/^(\w+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)/gm)) recap[m[1] as string] = { changed: Number(m[2]), failed: Number(m[3]) };
  return { status: result.status, output, recap };
}

function ssh(key: string, command: string, certificate = false, to = { port: sshd?.port, user: account }): Promise<SshResult> {
  return runProcess('ssh', [
    '-F', '/dev/null', '-i', key, ...(certificate ? ['-o', `CertificateFile=${key}-cert.pub`] : []), '-p', String(to.port),
    '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'LogLevel=ERROR', `${to.user}@127.0.0.1`, '--', command,
  ], undefined, 60000);
}

/** A host's own sshd_config, which the role reads and validates against: a test sshd serves it. */
function hostSshdConfig(root: string, include: boolean): void {
  mkdirSync(join(root, 'etc/ssh'), { recursive: true, mode: 0o755 });
  keygen('-t', 'ed25519', '-N', '', '-f', join(root, 'etc/ssh/ssh_host_ed25519_key'));
  writeFileSync(join(root, 'etc/ssh/sshd_config'), `${include ? `Include ${join(root, 'etc/ssh/sshd_config.d')}/*.conf\n` : ''}HostKey ${join(root, 'etc/ssh/ssh_host_ed25519_key')}
PidFile ${join(root, 'sshd.pid')}
# The prefix lies under the sticky, world-writable /tmp, which StrictModes refuses.
StrictModes no
UsePAM no
PermitRootLogin no
LogLevel ERROR
SetEnv SHLVL=1
`, { mode: 0o644 });
}

function ownerModeOf(path: string): string {
  const stats = statSync(path);
  const name = (id: number, db: string) => execFileSync('getent', [db, String(id)], { encoding: 'utf8' }).split(':')[0];
  return `${name(stats.uid, 'passwd')}:${name(stats.gid, 'group')} ${(stats.mode & 0o7777).toString(8).padStart(4, '0')}`;
}

const skip = !isRoot ? 'needs root to create a throwaway account' : false;

describe('e2e: the Ansible role against a prefix', { skip }, () => {
  let converge: Run;
  before(() => {
    assert.ok(hasAnsible, 'ansible-playbook is missing: apt-get install ansible-core (.ci/run does)');
    prefix = mkdtempSync(join(tmpdir(), 'portcullis-role-'));
    chmodSync(prefix, 0o755);
    hardenedPrefix = mkdtempSync(join(tmpdir(), 'portcullis-role-'));
    chmodSync(hardenedPrefix, 0o755);
    work = mkdtempSync(join(tmpdir(), 'portcullis-ansible-'));
    hostSshdConfig(prefix, true);
    hostSshdConfig(hardenedPrefix, false);
    keygen('-t', 'ed25519', '-N', '', '-C', 'ci', '-f', join(work, 'ci'));
    keygen('-t', 'ed25519', '-N', '', '-C', 'fleet-ca', '-f', join(work, 'ca'));
    keygen('-t', 'ed25519', '-N', '', '-C', 'laptop', '-f', join(work, 'laptop'));
    keygen('-s', join(work, 'ca'), '-I', 'alice@laptop 2026-12-02', '-n', 'deploy', '-V', '-1m:+10m', `${join(work, 'laptop')}.pub`);

    mkdirSync(join(work, 'inventory', 'host_vars'), { recursive: true });
    mkdirSync(join(work, 'inventory', 'group_vars'));
    writeFileSync(join(work, 'inventory', 'hosts'), 'gate ansible_connection=local ansible_python_interpreter=/usr/bin/python3\nhardened ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n');
    writeFileSync(join(work, 'ansible.cfg'), '[defaults]\nretry_files_enabled = False\ninterpreter_python = /usr/bin/python3\n');
    writeFileSync(join(work, 'playbook.yml'), '- hosts: all\n  gather_facts: false\n  force_handlers: true\n  roles:\n    - portcullis\n');
    // The failing run: `gate` gets a config check refuses; `hardened` a good, changed config,
    // then a key line check --keys refuses, so its run fails after the config was replaced.
    writeFileSync(join(work, 'broken.toml.j2'), `{% if inventory_hostname == 'gate' %}[server]
audit_log = "{{ portcullis_audit_log }}"
max_line = "not a key"
{% else %}{% include 'config.toml.j2' %}
# changed by the failing run
{% endif %}`);
    ciKey = { key: readFileSync(`${join(work, 'ci')}.pub`, 'utf8').trim(), identity: 'ci-runner', level: 'ops', tags: ['web'], from: '127.0.0.1' };
    writeFileSync(join(work, 'inventory', 'group_vars', 'all.json'), JSON.stringify({
      portcullis_bundle_src: BUNDLE,
      // The test sshd runs without PAM, which refuses a locked ("!") account even for keys.
      portcullis_account_password: '*',
      portcullis_domains_toml: '[domains.t]\ndescription = "Test"\n[domains.t.actions.echo]\ndescription = "Echo"\nlevel = "read"\nexec = ["/bin/echo", "{msg}"]\n[domains.t.actions.echo.args.msg]\ntype = "string"\n[domains.t.actions.ops]\ndescription = "Needs ops"\nlevel = "ops"\nexec = ["/bin/echo", "ops ran"]\n',
      portcullis_keys: [ciKey],
      portcullis_sshd_reload: false,
    }));
    writeFileSync(join(work, 'inventory', 'host_vars', 'gate.json'), JSON.stringify({
      portcullis_prefix: prefix,
      portcullis_account: account,
      portcullis_user_ca_keys: [readFileSync(`${join(work, 'ca')}.pub`, 'utf8').trim()],
      portcullis_principals: [{ principal: 'deploy', identity: 'deployer', level: 'read' }],
    }));
    writeFileSync(join(work, 'inventory', 'host_vars', 'hardened.json'), JSON.stringify({
      portcullis_prefix: hardenedPrefix,
      portcullis_account: hardenedAccount,
      portcullis_sshd_mode: 'match_block',
    }));
    converge = play();
  });

  after(() => {
    sshd?.stop();
    hardenedSshd?.stop();
    spawnSync('userdel', [account]);
    spawnSync('userdel', [hardenedAccount]);
    if (prefix) rmSync(prefix, { recursive: true, force: true });
    if (hardenedPrefix) rmSync(hardenedPrefix, { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('REL-032 the first run converges: the files of the install guide, with its owners and modes, and the compiled form', () => {
    assert.equal(converge.status, 0, converge.output);
    assert.deepEqual(Object.keys(converge.recap).sort(), ['gate', 'hardened']);
    for (const host of Object.values(converge.recap)) assert.ok(host.failed === 0 && host.changed > 0, converge.output);
    const expected: Array<[string, string]> = [
      ['usr/local/bin/portcullis', 'root:root 0755'],
      ['etc/portcullis', 'root:root 0755'],
      ['etc/portcullis/config.toml', 'root:root 0644'],
      ['etc/portcullis/config.toml.compiled.jsonl', 'root:root 0644'],
      [`home/${account}`, 'root:root 0755'],
      ['var/log/portcullis', `${account}:adm 0750`],
      ['var/lib/portcullis', `${account}:${account} 0700`],
      [`etc/ssh/authorized_keys/${account}`, 'root:root 0644'],
      [`etc/ssh/auth_principals/${account}`, 'root:root 0644'],
      ['etc/ssh/sshd_config.d/portcullis.conf', 'root:root 0644'],
    ];
    assert.deepEqual(expected.map(([path]) => [path, ownerModeOf(under(path))]), expected);
    assert.equal(readFileSync(under(`etc/ssh/authorized_keys/${account}`), 'utf8').split('\n')[1]?.split(' ssh-ed25519 ')[0],
      'restrict,from="127.0.0.1",command="portcullis --level ops --identity ci-runner --tags web"');
    const shell = execFileSync('getent', ['passwd', account], { encoding: 'utf8' }).trim().split(':')[6];
    assert.equal(shell, under('usr/local/bin/portcullis-shell'));
    // The hardened host: its sshd_config ends with the Match block between markers, and no drop-in.
    const sshdConfig = readFileSync(join(hardenedPrefix, 'etc/ssh/sshd_config'), 'utf8');
    assert.match(sshdConfig, new RegExp(`# BEGIN portcullis ${hardenedAccount} \\(ansible\\)\nMatch User ${hardenedAccount}\n[^]*ExposeAuthInfo yes\n# END portcullis ${hardenedAccount} \\(ansible\\)\n$`));
    assert.equal(existsSync(join(hardenedPrefix, 'etc/ssh/sshd_config.d')), false);
  });

  it('REL-033 the second run changes nothing', () => {
    const again = play();
    assert.equal(again.status, 0, again.output);
    assert.deepEqual(again.recap, { gate: { changed: 0, failed: 0 }, hardened: { changed: 0, failed: 0 } }, again.output);
  });

  it('REL-034 a broken config template fails the run and leaves the old config and its compiled form in place', () => {
    const files = ['config.toml', 'config.toml.compiled.jsonl'].map((name) => under(join('etc/portcullis', name)));
    const before = files.map((file) => readFileSync(file));
    const keys = readFileSync(join(hardenedPrefix, 'etc/ssh/authorized_keys', hardenedAccount));
    broken = play({ portcullis_config_template: join(work, 'broken.toml.j2'), portcullis_keys: [{ ...ciKey, identity: 'ci"; id' }] });
    assert.equal(broken.status, 2, broken.output);
    assert.deepEqual([broken.recap.gate?.failed, broken.recap.hardened?.failed], [1, 1], broken.output);
    assert.match(broken.output, /failed to validate/);
    assert.deepEqual(files.map((file) => readFileSync(file)), before);
    brokenKeys = { before: keys, after: readFileSync(join(hardenedPrefix, 'etc/ssh/authorized_keys', hardenedAccount)) };
  });

  it('REL-036 a key entry that breaks out of the command= quotes fails the run and leaves the old keys file', () => {
    assert.match(broken.output, /key_line_invalid|command_shell_syntax/);
    assert.deepEqual(brokenKeys?.after, brokenKeys?.before);
  });

  it('REL-037 a config installed before a later task failed is compiled all the same (force_handlers), so requests never meet a stale form', () => {
    const config = readFileSync(join(hardenedPrefix, 'etc/portcullis/config.toml'));
    assert.match(config.toString(), /# changed by the failing run/);
    const header = JSON.parse(readFileSync(join(hardenedPrefix, 'etc/portcullis/config.toml.compiled.jsonl'), 'utf8').split('\n')[0] as string);
    assert.equal(header.source_sha256, createHash('sha256').update(config).digest('hex'));
  });

  it('REL-035 an sshd started on the produced files serves the key and the certificate at their lines, from the compiled form, on both hosts', async () => {
    assert.ok(existsSync(SSHD));
    sshd = await startSshdWithConfig(under('etc/ssh/sshd_config'));
    const key = await ssh(join(work, 'ci'), 'whoami');
    assert.equal(key.status, 0, key.stdout + key.stderr);
    assert.deepEqual([key.json?.identity, key.json?.level, key.json?.tags], ['ci-runner', 'ops', ['web']]);
    const ran = await ssh(join(work, 'ci'), 't ops');
    assert.equal(ran.json?.stdout, 'ops ran\n');
    const certificate = await ssh(join(work, 'laptop'), 't echo msg=certified', true);
    assert.equal(certificate.json?.stdout, 'certified\n', certificate.stdout + certificate.stderr);
    const records = readAudit(under('var/log/portcullis/audit.jsonl'));
    const decision = records.find((record) => record.request_id === certificate.json?.request_id && record.event === 'decision');
    assert.deepEqual([decision?.identity, decision?.key_id, decision?.key], ['deployer', 'alice@laptop 2026-12-02', fingerprintOf(`${join(work, 'laptop')}.pub`)]);
    assert.equal(records.some((record) => /compiled form ignored/.test(String(record.detail ?? ''))), false);
    const refused = await ssh(join(work, 'laptop'), 't ops', true);
    assert.equal(refused.json?.error?.code, 'insufficient_level');

    hardenedSshd = await startSshdWithConfig(join(hardenedPrefix, 'etc/ssh/sshd_config'));
    const hardened = await ssh(join(work, 'ci'), 'whoami', false, { port: hardenedSshd.port, user: hardenedAccount });
    assert.deepEqual([hardened.json?.identity, hardened.json?.level], ['ci-runner', 'ops'], hardened.stdout + hardened.stderr);
    const hardenedDecision = readAudit(join(hardenedPrefix, 'var/log/portcullis/audit.jsonl')).find((record) => record.request_id === hardened.json?.request_id);
    assert.equal(hardenedDecision?.detail, undefined, 'served from the compiled form');
  });
});
