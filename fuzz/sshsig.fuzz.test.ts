import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseKeyBlob, parsePublicKeyLine } from '../src/auth/ssh-key.js';
import { verifySshsig } from '../src/auth/sshsig.js';
import { makeTestKey, NAMESPACE, sshsigBlob } from '../testkit/sshsig.js';
import { fuzzParameters } from './_budget.js';

const MESSAGE = 'portcullis-sig-v1\nfuzz-host\nrelease\n1800000000\n00112233445566778899aabbccddeeff\napp deploy';
const keys = (['ed25519', 'ecdsa-p256', 'sk-ed25519', 'sk-ecdsa', 'rsa'] as const).map((kind) => makeTestKey(kind));
const valid = keys.map((key) => ({ key, blob: sshsigBlob(key, MESSAGE, { flags: 1 }) }));

/** A valid blob with bytes flipped, cut, inserted or appended: the shapes a parser meets. */
const mutated = fc
  .record({
    which: fc.nat({ max: valid.length - 1 }),
    edits: fc.array(fc.record({ at: fc.nat(), kind: fc.constantFrom('flip', 'cut', 'insert', 'append'), byte: fc.nat({ max: 255 }) }), { minLength: 1, maxLength: 4 }),
  })
  .map(({ which, edits }) => {
    // INVARIANT: which < valid.length.
    const { key, blob } = valid[which] as (typeof valid)[number];
    let bytes = Buffer.from(blob);
    for (const edit of edits) {
      const at = edit.at % (bytes.length + 1);
      if (edit.kind === 'flip' && at < bytes.length) bytes.writeUInt8(bytes.readUInt8(at) ^ (edit.byte | 1), at);
      else if (edit.kind === 'cut') bytes = bytes.subarray(0, at);
      else if (edit.kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.of(edit.byte), bytes.subarray(at)]);
      else bytes = Buffer.concat([bytes, Buffer.of(edit.byte)]);
    }
    return { key, bytes, changed: !bytes.equals(blob) };
  });

it('fuzz SSHSIG: never throws; a changed blob never verifies; random bytes never verify', () => {
  fc.assert(
    fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 600 }).map((b) => ({ key: keys[0] as (typeof keys)[number], bytes: Buffer.from(b), changed: true }))), ({ key, bytes, changed }) => {
      const verdict = verifySshsig(bytes, Buffer.from(MESSAGE), { namespace: NAMESPACE, keyBlob: key.blob, requireUserVerification: false });
      if (changed) assert.notEqual(verdict, null, 'a changed blob verified');
      else assert.equal(verdict, null);
    }),
    fuzzParameters('sshsig', 1500),
  );
});

it('fuzz SSH keys: parsing a key blob or line never throws', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 200 }), (blob, line) => {
      const parsed = parseKeyBlob(Buffer.from(blob));
      assert.ok('error' in parsed || typeof parsed.type === 'string');
      const fromLine = parsePublicKeyLine(line);
      assert.ok('error' in fromLine);
    }),
    fuzzParameters('ssh-key', 2000),
  );
});
