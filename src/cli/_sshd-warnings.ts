import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckWarning } from './_check-warning.js';
import { dangerousFamiliesMatched, isDangerousName } from './_env-patterns.js';

const SSHD = '/usr/sbin/sshd';

export interface SshdSource {
  /** The account whose effective settings are read (`Match User` blocks apply). */
  readonly account: string;
  /** An sshd_config to read instead of the system's (`--sshd-config`). */
  readonly configFile?: string;
}

/**
 * sshd's effective settings for one account (docs/config.md "portcullis check"): `sshd -T -C user=…` applies
 * the `Match` blocks that plain `sshd -T` ignores. `reason` says why they could not be read.
 */
export function readEffectiveSshdConfig(source: SshdSource): { text: string } | { reason: string } {
  if (!existsSync(SSHD)) return { reason: `${SSHD} does not exist` };
  const args = [
    '-T',
    ...(source.configFile !== undefined ? ['-f', source.configFile] : []),
    '-C', `user=${source.account},host=localhost,addr=127.0.0.1`,
  ];
  let result = runSshd(args);
  if (result.status !== 0 && /no hostkeys available/.test(result.stderr ?? '')) result = withThrowawayHostKey((hostKey) => runSshd([...args, '-h', hostKey])) ?? result;
  if (result.status === 0) return { text: result.stdout };
  const said = (result.stderr ?? '').split('\n').find((line) => line.trim() !== '')?.trim();
  const how = result.error !== undefined ? result.error.message : result.signal !== null ? `killed by ${result.signal}` : `exit status ${result.status}`;
  return { reason: `sshd ${args.join(' ')} failed (${how})${said ? `: ${said}` : ''}` };
}

function runSshd(args: readonly string[]): SpawnSyncReturns<string> {
  return spawnSync(SSHD, args, { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 20 });
}

/**
 * `sshd -T` refuses to print anything without a host key it can read, and only root reads
 * the host's: the account itself running `check` (install guide section 9) gets a key made
 * for this one reading, which changes none of the settings that are checked.
 */
function withThrowawayHostKey<T>(use: (hostKey: string) => T): T | null {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-check-'));
  try {
    const key = join(dir, 'host_key');
    const made = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'portcullis check', '-f', key], { stdio: 'ignore', timeout: 5000 });
    return made.status === 0 ? use(key) : null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Warnings from `sshd -T` text: settings that let a client set a variable Node, the loader
 * or Portcullis reads before any check of ours, and in-process subsystems that serve files
 * without running Portcullis at all.
 */
export function readSshdWarnings(text: string, account?: string): CheckWarning[] {
  const forWhom = account !== undefined ? ` for ${account}` : '';
  const warnings: CheckWarning[] = [];
  let forceCommand = 'none';
  const inProcessSubsystems: string[] = [];
  for (const line of text.split('\n')) {
    const [keyword, ...rest] = line.trim().split(/\s+/);
    const value = rest.join(' ');
    if (keyword === 'permituserenvironment' && value !== 'no') {
      const reaches = value === 'yes' ? dangerousFamiliesMatched('*') : userEnvironmentFamilies(value);
      if (reaches.length > 0) {
        warnings.push({
          path: 'sshd', code: 'sshd_user_environment', reaches,
          message: `PermitUserEnvironment ${value}${forWhom}: ~/.ssh/environment and environment= in authorized_keys can set ${reaches.join(', ')}; set it to no`,
        });
      }
    } else if (keyword === 'acceptenv') {
      for (const pattern of rest) {
        const reaches = dangerousFamiliesMatched(pattern);
        if (reaches.length > 0) {
          warnings.push({ path: 'sshd', code: 'sshd_accept_env', reaches, message: `AcceptEnv ${pattern}${forWhom} lets clients set ${reaches.join(', ')}; remove it` });
        }
      }
    } else if (keyword === 'setenv') {
      const name = value.split('=')[0] ?? '';
      if (isDangerousName(name)) {
        warnings.push({ path: 'sshd', code: 'sshd_set_env', reaches: [name], message: `SetEnv ${name}${forWhom}: sshd sets it before Portcullis runs; remove it` });
      }
    } else if (keyword === 'forcecommand') {
      forceCommand = value;
    } else if (keyword === 'subsystem' && rest[1] === 'internal-sftp') {
      inProcessSubsystems.push(rest[0] ?? '');
    }
  }
  // A forced command replaces a subsystem request, unless it is itself the in-process server.
  const bypass = forceCommand === 'none' ? inProcessSubsystems.map((name) => `Subsystem ${name} internal-sftp`) : [];
  if (forceCommand.split(/\s+/)[0] === 'internal-sftp') bypass.push(`ForceCommand ${forceCommand}`);
  for (const setting of bypass) {
    warnings.push({
      path: 'sshd', code: 'sshd_in_process_subsystem',
      message: `${setting}${forWhom}: sshd serves files itself and never runs Portcullis, so a key without command= reads and writes files as the account; put command= on every key, or ForceCommand`,
    });
  }
  return warnings;
}

// PermitUserEnvironment's pattern list; a negated entry is ignored, so this errs towards warning.
function userEnvironmentFamilies(list: string): string[] {
  const families = list.split(',').filter((p) => !p.startsWith('!')).flatMap(dangerousFamiliesMatched);
  return [...new Set(families)];
}
