/**
 * Verify cost of a signature proof per key type (docs/protocol.md §5.2), in-process: the
 * SSHSIG parse, the key import and the signature check, as one request pays them. Vectors
 * made by ssh-keygen where it can sign here; security keys and RSA 4096 built with
 * node:crypto as the tests do. `node build/bench/signatures.js` prints them alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifySshsig } from '../src/auth/sshsig.js';
import { parsePublicKeyLine } from '../src/auth/ssh-key.js';
import { makeTestKey, NAMESPACE, sshsigBlob } from '../testkit/sshsig.js';
import { figure, formatTable, median, type Row } from './table.js';

interface Case {
  readonly name: string;
  readonly keyBlob: Buffer;
  readonly blob: Buffer;
  readonly message: Buffer;
}

function cases(): Case[] {
  const file = JSON.parse(readFileSync(join(__dirname, '..', '..', 'test', 'vectors', 'sshsig.json'), 'utf8')) as {
    message: string;
    vectors: Array<{ name: string; public_key: string; sig: string; expected: string }>;
  };
  const message = Buffer.from(file.message, 'utf8');
  const fromVectors = file.vectors
    .filter((v) => v.expected === 'valid' && !v.name.includes('sha256'))
    .map((v) => {
      const key = parsePublicKeyLine(v.public_key);
      if ('error' in key) throw new Error(`vector ${v.name}: ${key.error}`);
      return { name: v.name, keyBlob: key.blob, blob: Buffer.from(v.sig, 'base64'), message };
    });
  const built = (['sk-ed25519', 'sk-ecdsa'] as const).map((kind) => {
    const key = makeTestKey(kind);
    return { name: `${kind} (flags 1)`, keyBlob: key.blob, blob: sshsigBlob(key, file.message), message };
  });
  const rsa4096 = makeTestKey('rsa', 4096);
  return [...fromVectors, ...built, { name: 'rsa 4096 (rsa-sha2-512)', keyBlob: rsa4096.blob, blob: sshsigBlob(rsa4096, file.message), message }];
}

/** Median microseconds per verification, per key type. */
export function signatureVerifyRows(iterations = 400): Row[] {
  return cases().map((c) => {
    const expected = { namespace: NAMESPACE, keyBlob: c.keyBlob, requireUserVerification: false };
    if (verifySshsig(c.blob, c.message, expected) !== null) throw new Error(`${c.name} does not verify`);
    const samples: number[] = [];
    for (let round = 0; round < 5; round++) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < iterations; i++) verifySshsig(c.blob, c.message, expected);
      samples.push(Number(process.hrtime.bigint() - started) / 1e3 / iterations);
    }
    return figure(`sig verify: ${c.name} (parse + key import + check)`, median(samples), 'µs', 'report');
  });
}

if (require.main === module) console.log(formatTable(signatureVerifyRows()));
