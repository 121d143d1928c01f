import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../../testkit/tmp.js';
import { readCertificate } from './certificate.js';
import { readCallerIdentity } from './identity.js';

// Certificates made by the real ssh-keygen, read back the way sshd's ExposeAuthInfo shows them.

const dir = makeTempDir();
const keygen = (...args: string[]) => execFileSync('ssh-keygen', ['-q', ...args], { encoding: 'utf8' });
keygen('-t', 'ed25519', '-N', '', '-C', 'ca', '-f', join(dir, 'ca'));

let made = 0;
function certified(type: string, keyId: string): { keyFile: string; certBlob: Buffer } {
  const keyFile = join(dir, `user_${type}_${made++}`);
  keygen('-t', type, '-N', '', '-f', keyFile);
  keygen('-s', join(dir, 'ca'), '-I', keyId, '-n', 'deploy', '-V', '+5m', '-z', '42', `${keyFile}.pub`);
  const certBlob = Buffer.from(readFileSync(`${keyFile}-cert.pub`, 'utf8').split(' ')[1] as string, 'base64');
  return { keyFile, certBlob };
}

const fingerprintOf = (publicKeyFile: string) => keygen('-lf', publicKeyFile, '-E', 'sha256').split(' ')[1];
const sha256 = (blob: Buffer) => `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;

describe('readCertificate: the key id and the certified key of an OpenSSH user certificate', () => {
  for (const type of ['ed25519', 'ecdsa', 'rsa']) {
    it(`reads a ${type} certificate: its key id, and the fingerprint ssh-keygen gives the key`, () => {
      const { keyFile, certBlob } = certified(type, `ci-run-${type}`);
      const facts = readCertificate(certBlob);
      assert.equal(facts?.keyId, `ci-run-${type}`);
      assert.equal(sha256(facts.plainKeyBlob), fingerprintOf(`${keyFile}.pub`));
    });
  }

  it('is null for a plain key and for every truncation of a certificate', () => {
    const { keyFile, certBlob } = certified('ed25519', 'cut');
    assert.equal(readCertificate(Buffer.from(readFileSync(`${keyFile}.pub`, 'utf8').split(' ')[1] as string, 'base64')), null);
    // Up to the key id's last byte every prefix is malformed; later the rest is not read.
    const keyIdEnd = certBlob.indexOf(Buffer.from('cut')) + 3;
    for (let length = 0; length < keyIdEnd; length++) assert.equal(readCertificate(certBlob.subarray(0, length)), null, `length ${length}`);
  });

  it('caps a long key id', () => {
    const facts = readCertificate(certified('ed25519', 'x'.repeat(1000)).certBlob);
    assert.equal(facts?.keyId, `${'x'.repeat(256)}…`);
  });

  it('readCallerIdentity takes the certificate from the ExposeAuthInfo file', () => {
    const { keyFile } = certified('ed25519', 'ops@laptop 2026-12-02');
    const info = join(dir, 'auth-info');
    writeFileSync(info, `publickey ${readFileSync(`${keyFile}-cert.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
    const identity = readCallerIdentity({ SSH_USER_AUTH: info });
    assert.equal(identity.certificateKeyId, 'ops@laptop 2026-12-02');
    assert.equal(identity.keyFingerprint, fingerprintOf(`${keyFile}.pub`));
    writeFileSync(info, `publickey ${readFileSync(`${keyFile}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
    assert.equal(readCallerIdentity({ SSH_USER_AUTH: info }).certificateKeyId, null);
  });
});
