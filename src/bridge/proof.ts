import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { signedRequestLine } from '../cli/sign.js';
import { stripOneNewline } from '../config/index.js';
import type { HostConfig, ProofConfig } from './config.js';

/**
 * Signs one request for one host: returns the request line with its proof fields
 * prepended (docs/protocol.md §5, §5.2). Every scheme goes through this one function type,
 * so the bridge does not care how the proof is made.
 */
export type RequestSigner = (commandText: string, stdin: string | null) => Promise<string>;

/** What an SSH-signature proof needs (docs/protocol.md §5.2): the bridge hands it over, the signer returns the request line. */
export interface SshSignatureRequest {
  readonly signer: string;
  readonly sshKey: string;
  readonly serverId: string;
  readonly commandText: string;
  /** Lowercase hex, or null when the request carries no stdin. */
  readonly stdinSha256: string | null;
}

/**
 * The SSH-signature scheme (`portcullis sign --signer`): set once at start-up by whoever
 * provides it. Until then a host configured with `proof.signer` gets a clean tool error.
 */
let sshSignature: ((request: SshSignatureRequest) => Promise<string>) | null = null;

/** Wires the SSH-signature proof maker in (the same code as `portcullis sign --signer`). */
export function useSshSignatures(sign: (request: SshSignatureRequest) => Promise<string>): void {
  sshSignature = sign;
}

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
    const ts = String(Math.floor(Date.now() / 1000));
    return signedRequestLine(secret, host.serverId, proof.name, ts, randomBytes(16).toString('hex'), commandText, stdinHash(stdin));
  };
}

function signatureSigner(host: HostConfig, proof: Extract<ProofConfig, { kind: 'signer' }>): RequestSigner {
  return async (commandText, stdin) => {
    if (sshSignature === null) throw new ProofError(`host ${host.alias}: SSH-signature proofs (proof.signer) are not available in this build`);
    return sshSignature({ signer: proof.name, sshKey: proof.sshKey, serverId: host.serverId, commandText, stdinSha256: stdinHash(stdin) });
  };
}

/** An upload is bound to the proof (docs/protocol.md §7.3): the server runs nothing on a mismatch. */
function stdinHash(stdin: string | null): string | null {
  return stdin === null ? null : createHash('sha256').update(stdin, 'utf8').digest('hex');
}
