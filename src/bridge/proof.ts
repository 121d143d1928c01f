import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signRequest } from '../cli/sign-request.js';
import { stripOneNewline } from '../config/index.js';
import type { HostConfig, ProofConfig } from './config.js';

/**
 * Signs one request for one host: returns the request line with its proof fields
 * prepended (docs/protocol.md §5, §5.2). Every scheme goes through this one function type,
 * so the bridge does not care how the proof is made.
 */
export type RequestSigner = (commandText: string, stdin: string | null) => Promise<string>;

/** The signer of a host's configured proof, or null when the host has none. */
export function signerFor(host: HostConfig): RequestSigner | null {
  const proof = host.proof;
  if (proof === null) return null;
  return proof.kind === 'token' ? tokenSigner(host, proof) : signatureSigner(host, proof);
}

/** Raised when a proof cannot be made; the call then fails cleanly, nothing is sent. */
export class ProofError extends Error {}

function tokenSigner(host: HostConfig, proof: Extract<ProofConfig, { kind: 'token' }>): RequestSigner {
  return async (commandText, stdin) => {
    let secret: Buffer;
    try {
      // Read at each call: a rotated secret takes effect without a restart.
      secret = stripOneNewline(readFileSync(proof.secretFile));
    } catch {
      throw new ProofError(`cannot read the secret file of host ${host.alias} (${proof.secretFile})`);
    }
    const signed = signRequest({ token: proof.name, secret, serverId: host.serverId }, commandText, { stdinSha256: stdinHash(stdin) });
    if (!signed.ok) throw new ProofError(`host ${host.alias}: ${signed.error}`);
    return signed.line;
  };
}

/**
 * An SSH-signature proof (docs/protocol.md §5.2) made by `portcullis sign --signer`, run as a
 * child process of this same program: `ssh-keygen -Y sign` may wait minutes for a security
 * key's touch, and the bridge must go on serving (and cancelling) other calls meanwhile.
 * ssh-keygen's prompts go to the bridge's stderr; the input an upload binds is handed over
 * in a private temporary file, removed once signed.
 */
function signatureSigner(host: HostConfig, proof: Extract<ProofConfig, { kind: 'signer' }>): RequestSigner {
  return (commandText, stdin) =>
    new Promise((resolve, reject) => {
      const self = process.argv[1];
      if (self === undefined) return reject(new ProofError(`host ${host.alias}: cannot find this program to sign with`));
      const upload = stdin === null ? null : mkdtempSync(join(tmpdir(), 'portcullis-mcp-sign-'));
      if (upload !== null) writeFileSync(join(upload, 'stdin'), stdin ?? '', { mode: 0o600 });
      const args = [self, 'sign', '--signer', proof.name, '--ssh-key', proof.sshKey, '--server-id', host.serverId, ...(upload === null ? [] : ['--stdin', join(upload, 'stdin')]), commandText];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        // The person may need to see "Confirm user presence for key …": passed on as it comes.
        process.stderr.write(chunk);
        if (err.length < 2000) err += chunk;
      });
      const cleanUp = (): void => {
        if (upload !== null) rmSync(upload, { recursive: true, force: true });
      };
      child.on('error', () => {
        cleanUp();
        reject(new ProofError(`host ${host.alias}: the signer could not run`));
      });
      child.on('close', (code) => {
        cleanUp();
        const line = out.trimEnd();
        if (code === 0 && line.startsWith('+signer=') && !line.includes('\n')) return resolve(line);
        const why = err.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.includes('warning: server_id_empty')).at(-1) ?? `exit ${code}`;
        reject(new ProofError(`host ${host.alias}: the proof could not be made (${why.slice(0, 300)})`));
      });
    });
}

/** An upload is bound to the proof (docs/protocol.md §7.3): the server runs nothing on a mismatch. */
function stdinHash(stdin: string | null): string | null {
  return stdin === null ? null : createHash('sha256').update(stdin, 'utf8').digest('hex');
}
