import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyFingerprint, parseKeyBlob, parsePublicKeyLine, type SshPublicKey } from './ssh-key.js';
import { verifySshsig } from './sshsig.js';
import { armored, makeTestKey, NAMESPACE, sshsigBlob, wireString, type TestKey } from '../../testkit/sshsig.js';
import { makeTempDir } from '../../testkit/tmp.js';

interface Vector {
  name: string;
  namespace: string;
  public_key: string;
  sig: string;
  expected: 'valid' | 'rsa-too-small' | 'wrong-namespace';
}
const file = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'test', 'vectors', 'sshsig.json'), 'utf8')) as { message: string; vectors: Vector[] };
const MESSAGE = Buffer.from(file.message, 'utf8');

function keyOf(line: string): SshPublicKey {
  const key = parsePublicKeyLine(line);
  assert.ok(!('error' in key), `key line refused: ${'error' in key ? key.error : ''}`);
  return key;
}

const verify = (blob: Buffer, keyBlob: Buffer | null, message = MESSAGE, requireUserVerification = false): string | null =>
  verifySshsig(blob, message, { namespace: NAMESPACE, keyBlob, requireUserVerification });

describe('SSHSIG: known-answer vectors made by ssh-keygen -Y sign', () => {
  for (const vector of file.vectors.filter((v) => v.expected === 'valid')) {
    it(`verifies ${vector.name}`, () => {
      const key = keyOf(vector.public_key);
      assert.equal(verify(Buffer.from(vector.sig, 'base64'), key.blob), null);
    });
    it(`refuses ${vector.name} over another message`, () => {
      const key = keyOf(vector.public_key);
      assert.match(verify(Buffer.from(vector.sig, 'base64'), key.blob, Buffer.from(`${file.message}x`)) ?? '', /does not verify/);
    });
  }

  it('refuses a 1024-bit RSA key, in the config line and inside a signature', () => {
    const vector = file.vectors.find((v) => v.expected === 'rsa-too-small');
    assert.ok(vector);
    assert.match((parsePublicKeyLine(vector.public_key) as { error: string }).error, /1024 bits; at least 2048/);
    const embedded = Buffer.from(vector.public_key.split(' ')[1] ?? '', 'base64');
    assert.match(verify(Buffer.from(vector.sig, 'base64'), embedded) ?? '', /1024 bits/);
  });

  it('refuses a signature made for another namespace', () => {
    const vector = file.vectors.find((v) => v.expected === 'wrong-namespace');
    assert.ok(vector);
    assert.match(verify(Buffer.from(vector.sig, 'base64'), keyOf(vector.public_key).blob) ?? '', /namespace "file"/);
  });

  it('computes the fingerprint ssh-keygen -lf prints', () => {
    const dir = makeTempDir();
    for (const vector of file.vectors.slice(0, 5)) {
      const path = join(dir, 'key.pub');
      writeFileSync(path, `${vector.public_key} comment\n`);
      const printed = execFileSync('ssh-keygen', ['-lf', path, '-E', 'sha256'], { encoding: 'utf8' }).split(' ')[1];
      assert.equal(keyFingerprint(keyOf(vector.public_key).blob), printed);
    }
  });
});

describe('SSHSIG: malformed blobs are refused before any crypto, each for its reason', () => {
  const key = makeTestKey('ed25519');
  const message = file.message;
  const cases: Array<[string, Buffer, RegExp]> = [
    ['trailing bytes after the blob', sshsigBlob(key, message, { trailing: Buffer.of(0) }), /1 trailing bytes after the signature/],
    ['version 2', sshsigBlob(key, message, { version: 2 }), /version 2/],
    ['another magic', Buffer.concat([Buffer.from('SSHSIH'), sshsigBlob(key, message).subarray(6)]), /does not start with SSHSIG/],
    ['a cut blob', sshsigBlob(key, message).subarray(0, 60), /cut short/],
    ['a namespace that differs by case', sshsigBlob(key, message, { namespace: 'Proof-v1@portcullis' }), /namespace/],
  ];
  for (const [name, blob, reason] of cases) {
    it(`refuses ${name}`, () => assert.match(verify(blob, key.blob) ?? '', reason));
  }

  it('refuses a valid signature by another key than the configured one', () => {
    const other = makeTestKey('ed25519');
    assert.equal(verify(sshsigBlob(other, message), other.blob), null, 'control: the other key is fine for itself');
    assert.match(verify(sshsigBlob(other, message), key.blob) ?? '', /embedded key is not the signer's/);
  });

  it('refuses a blob that embeds the configured key but is signed by another', () => {
    const other = makeTestKey('ed25519');
    assert.match(verify(sshsigBlob(other, message, { embeddedBlob: key.blob }), key.blob) ?? '', /does not verify/);
  });

  it('refuses every signature when no key is configured (an unknown signer), after the same work', () => {
    assert.match(verify(sshsigBlob(key, message), null) ?? '', /no signer of that name/);
  });

  it('refuses trailing bytes inside the signature blob', () => {
    const blob = sshsigBlob(key, message);
    // The ed25519 signature blob (83 bytes: type and signature) is the last string: add a byte inside it.
    assert.equal(blob.readUInt32BE(blob.length - 87), 83);
    const signature = blob.subarray(blob.length - 83);
    const longer = Buffer.concat([blob.subarray(0, blob.length - 87), wireString(Buffer.concat([signature, Buffer.of(0)]))]);
    assert.match(verify(longer, key.blob) ?? '', /trailing bytes after the signature/);
  });
});

describe('SSHSIG: RSA signature algorithms', () => {
  const rsa = makeTestKey('rsa');
  it('accepts rsa-sha2-256 and rsa-sha2-512', () => {
    assert.equal(verify(sshsigBlob(rsa, file.message, { rsaAlgorithm: 'rsa-sha2-256' }), rsa.blob), null);
    assert.equal(verify(sshsigBlob(rsa, file.message, { rsaAlgorithm: 'rsa-sha2-512' }), rsa.blob), null);
  });
  it('refuses an ssh-rsa (SHA-1) signature, valid as it is', () => {
    assert.match(verify(sshsigBlob(rsa, file.message, { rsaAlgorithm: 'ssh-rsa' }), rsa.blob) ?? '', /SHA-1/);
  });
});

describe('SSHSIG: security keys (PROTOCOL.u2f), built here with flags 0, 1 and 5', () => {
  for (const kind of ['sk-ed25519', 'sk-ecdsa'] as const) {
    const sk: TestKey = makeTestKey(kind);
    it(`${kind}: flags 1 (user present) verifies; flags 0 is refused`, () => {
      assert.equal(verify(sshsigBlob(sk, file.message, { flags: 0x01 }), sk.blob), null);
      assert.match(verify(sshsigBlob(sk, file.message, { flags: 0x00 }), sk.blob) ?? '', /user presence/);
    });
    it(`${kind}: flags 5 (present and verified) verifies, also where the signer requires verification; flags 1 there is refused`, () => {
      assert.equal(verify(sshsigBlob(sk, file.message, { flags: 0x05 }), sk.blob, MESSAGE, true), null);
      assert.match(verify(sshsigBlob(sk, file.message, { flags: 0x01 }), sk.blob, MESSAGE, true) ?? '', /user verification/);
    });
    it(`${kind}: OpenSSH's own check accepts the flags-1 signature we build (so the layout is OpenSSH's), and also flags 0, which we refuse`, () => {
      const dir = makeTempDir();
      for (const flags of [0x01, 0x00]) {
        const sigPath = join(dir, `sig-${flags}`);
        writeFileSync(sigPath, armored(sshsigBlob(sk, file.message, { flags })));
        const checked = spawnSync('ssh-keygen', ['-Y', 'check-novalidate', '-n', NAMESPACE, '-s', sigPath], { input: MESSAGE });
        assert.equal(checked.status, 0, `ssh-keygen refused flags ${flags}: ${checked.stderr}`);
      }
    });
  }
});

describe('signer key lines', () => {
  const key = makeTestKey('ed25519');
  const data = key.line.split(' ')[1] ?? '';
  const refused: Array<[string, string]> = [
    ['authorized_keys options before the type', `restrict ${key.line}`],
    ['an unknown type', `ssh-dss ${data}`],
    ['a line whose type differs from the blob', `ecdsa-sha2-nistp256 ${data}`],
    ['two lines', `${key.line}\n${key.line}`],
    ['base64 with stray padding', `ssh-ed25519 ${data}=`],
    ['a cut key', `ssh-ed25519 ${key.blob.subarray(0, 30).toString('base64')}`],
    ['a certificate', `ssh-ed25519-cert-v01@openssh.com ${data}`],
  ];
  for (const [name, line] of refused) {
    it(`refuses ${name}`, () => assert.ok('error' in parsePublicKeyLine(line)));
  }
  it('accepts a .pub line with its comment and trailing newline', () => {
    assert.ok(!('error' in parsePublicKeyLine(`${key.line}\n`)));
  });
  it('refuses an EC point that is not on its curve', () => {
    const ec = makeTestKey('ecdsa-p256');
    const blob = Buffer.from(ec.blob);
    blob.writeUInt8(blob.readUInt8(blob.length - 1) ^ 1, blob.length - 1);
    assert.ok('error' in parseKeyBlob(blob));
  });
});
