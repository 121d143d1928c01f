import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalAddress } from './address.js';

describe('canonicalAddress (the unit of address lockout)', () => {
  const cases: Array<[string, string | null]> = [
    ['192.0.2.1', '192.0.2.1'],
    ['192.0.2.01', '192.0.2.1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8::0001', '2001:db8::1'],
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['0:0:0:0:0:FFFF:C000:0207', '192.0.2.7'],
    ['::192.0.2.7', '::c000:207'],
    ['fe80::1%eth0', 'fe80::1%eth0'],
    ['256.0.0.1', null],
    ['1.2.3', null],
    ['1:2:3:4:5:6:7:8:9', null],
    ['1::2::3', null],
    ['1:2:3:4:5:6:7::8', null],
    ['12345::', null],
    ['1.2.3.4::', null],
    ['', null],
    ['host.example', null],
  ];
  for (const [input, expected] of cases) it(`${JSON.stringify(input)} → ${String(expected)}`, () => assert.equal(canonicalAddress(input), expected));
});

describe('readCallerIdentity: the lockout address is canonical', () => {
  it('reads an IPv6 SSH_CLIENT address in its canonical form, and keeps the client field as sshd gave it', async () => {
    const { readCallerIdentity } = await import('./identity.js');
    const identity = readCallerIdentity({ SSH_CLIENT: '2001:DB8:0:0::7 5555 22' });
    assert.equal(identity.clientAddress, '2001:db8::7');
    assert.equal(identity.client, '2001:DB8:0:0::7 5555');
  });
});
