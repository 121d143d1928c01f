import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { ConfigProblem } from '../config/index.js';

const SSHD = '/usr/sbin/sshd';
// Representative names: a pattern that accepts any of them accepts a whole dangerous family.
const DANGEROUS_ENV = [
  'NODE_OPTIONS', 'NODE_PATH', 'NODE_EXTRA_CA_CERTS', 'NODE_DEBUG', 'NODE_REPL_EXTERNAL_MODULE',
  'LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'OPENSSL_CONF', 'UV_THREADPOOL_SIZE',
  'SSH_ORIGINAL_COMMAND', 'SSH_USER_AUTH', 'SSH_CLIENT', 'SSH_CONNECTION', 'PORTCULLIS_CONFIG', 'PORTCULLIS_LEVEL', 'PATH',
];

/**
 * Warnings from sshd's effective configuration (`sshd -T`), when it can be read: Node
 * reads NODE_* and the loader LD_* before Portcullis runs, and a client-set
 * SSH_ORIGINAL_COMMAND would be taken as a request. `sshdConfig` is for tests.
 */
export function readSshdWarnings(sshdConfig?: string): ConfigProblem[] {
  const text = sshdConfig ?? readEffectiveConfig();
  if (text === null) return [];
  const warnings: ConfigProblem[] = [];
  for (const line of text.split('\n')) {
    const [keyword, ...rest] = line.trim().split(/\s+/);
    const value = rest.join(' ');
    if (keyword === 'permituserenvironment' && value !== 'no') {
      warnings.push({ path: 'sshd', message: `PermitUserEnvironment ${value}: users' ~/.ssh/environment could set NODE_OPTIONS; set it to no` });
    }
    if (keyword === 'acceptenv') {
      for (const pattern of rest) {
        const accepted = DANGEROUS_ENV.filter((name) => globMatches(pattern, name));
        if (accepted.length > 0) warnings.push({ path: 'sshd', message: `AcceptEnv ${pattern} lets clients set ${accepted.join(', ')}; remove it` });
      }
    }
  }
  return warnings;
}

function readEffectiveConfig(): string | null {
  if (!existsSync(SSHD)) return null;
  const result = spawnSync(SSHD, ['-T'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  return result.status === 0 ? result.stdout : null;
}

function globMatches(pattern: string, name: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return regex.test(name);
}
