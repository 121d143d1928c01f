import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAuthorizedKeysLine, parsePrincipalsLine, type KeysLine } from './_authorized-keys.js';
import { parseKeyOptions } from './_key-options.js';

// A real ed25519 public key (ssh-keygen) and its fingerprint as ssh-keygen -l prints it.
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKlCxE0J+0/I+uKEbNMnJC8svDZ23WvxEaXNH0co+rlm';
const ED25519_FP = 'SHA256:mtidoSmjwhXzhgLcrRX/451asUQURKPibOdVdGKAmhM';

/** A key blob that carries `inner` as its type name (the rest is not read by the lint). */
function blobOf(inner: string): string {
  const name = Buffer.from(inner, 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length);
  return Buffer.concat([length, name, Buffer.alloc(32, 7)]).toString('base64');
}

function key(line: string): Extract<KeysLine, { kind: 'key' }> {
  const parsed = parseAuthorizedKeysLine(line);
  assert.equal(parsed.kind, 'key', JSON.stringify(parsed));
  return parsed as Extract<KeysLine, { kind: 'key' }>;
}

function invalid(line: string, reason: RegExp): void {
  const parsed = parseAuthorizedKeysLine(line);
  assert.equal(parsed.kind, 'invalid', `${line} → ${JSON.stringify(parsed)}`);
  assert.match((parsed as { reason: string }).reason, reason);
}

/** The options field for `command="<value>"` as an operator writes it: `"` escaped as `\"`. */
const quoted = (value: string): string => `"${value.replace(/"/g, '\\"')}"`;

describe('authorized_keys lines, as sshd reads them', () => {
  it('reads a key with no options, its fingerprint and a comment with spaces', () => {
    const parsed = key(`  ${ED25519} alice at laptop`);
    assert.equal(parsed.key.type, 'ssh-ed25519');
    assert.equal(parsed.key.fingerprint, ED25519_FP);
    assert.equal(parsed.key.comment, 'alice at laptop');
    assert.equal(parsed.options.restrict, false);
    assert.equal(parsed.options.pty, true);
  });

  it('skips blank and comment lines, and the \\r of a CRLF file', () => {
    for (const line of ['', '   ', '\t# restrict ssh-ed25519 AAAA', '\r']) assert.equal(parseAuthorizedKeysLine(line).kind, 'blank');
    assert.equal(key(`${ED25519} c\r`).key.comment, 'c');
    assert.equal(key(`${ED25519}\r`).key.fingerprint, ED25519_FP);
  });

  it('reads quoted values with commas and spaces, \\" escapes, and names in any case', () => {
    const parsed = key(`RESTRICT,From="10.0.0.1,10.0.0.2",COMMAND="portcullis --identity \\"x\\", y" ${ED25519}`);
    assert.equal(parsed.options.restrict, true);
    assert.equal(parsed.options.from, '10.0.0.1,10.0.0.2');
    assert.equal(parsed.options.command, 'portcullis --identity "x", y');
  });

  it('keeps a backslash that does not escape a quote', () => {
    assert.equal(key(`command="a\\b" ${ED25519}`).options.command, 'a\\b');
  });

  it('applies flags in order: restrict, then pty gives the PTY back', () => {
    const parsed = key(`restrict,pty ${ED25519}`);
    assert.equal(parsed.options.pty, true);
    assert.equal(parsed.options.portForwarding, false);
    const manual = key(`no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding ${ED25519}`);
    assert.deepEqual([manual.options.pty, manual.options.portForwarding, manual.options.agentForwarding, manual.options.x11Forwarding, manual.options.userRc], [false, false, false, false, true]);
  });

  it('accepts tabs between the options and the key', () => assert.equal(key(`restrict\t\t${ED25519}`).options.restrict, true));

  it('accepts empty options and a trailing comma before the key, as sshd does', () => {
    assert.equal(key(`,restrict,,command="portcullis" ${ED25519}`).options.command, 'portcullis');
    assert.equal(key(`restrict, ${ED25519}`).options.restrict, true);
  });

  it('refuses what sshd refuses: the key is then ignored', () => {
    invalid(`restrict,command="portcullis ${ED25519}`, /unterminated quote/);
    invalid(`restrict,commnd="x" ${ED25519}`, /unknown key option/);
    invalid(`no-ptyx ${ED25519}`, /unknown key option/);
    invalid(`restrict;command="x" ${ED25519}`, /unknown key option/);
    invalid(`restrict,command="a",command="b" ${ED25519}`, /multiple "command"/);
    invalid(`command=portcullis ${ED25519}`, /missing start quote/);
    invalid(`environment="NODE OPTIONS=x" ${ED25519}`, /invalid environment/);
    invalid('restrict ssh-ed25519 AAA', /not base64/);
    invalid('restrict ssh-ed25519 AA!A', /not base64/);
    invalid(`restrict ssh-ed25519 ${blobOf('ssh-rsa')}`, /not a ssh-ed25519 key/);
    invalid(`restrict ssh-ed25519x ${blobOf('ssh-ed25519')}`, /unknown key type/);
    invalid('restrict', /no valid key/);
    invalid(`restrict ${ED25519.replace('ssh-ed25519', 'ED25519')}`, /unknown key type/);
  });

  it('checks permitopen and permitlisten as sshd does', () => {
    assert.equal(key(`restrict,permitopen="db:5432",permitlisten="8080",permitopen="[::1]:*" ${ED25519}`).options.restrict, true);
    invalid(`permitopen="db" ${ED25519}`, /invalid permission hostname/);
    invalid(`permitopen="db:0" ${ED25519}`, /invalid permission port/);
  });

  it('allows environment= more than once but from= only once', () => {
    assert.equal(key(`environment="A=1",environment="B=2" ${ED25519}`).options.environment.length, 2);
    invalid(`from="a",from="b" ${ED25519}`, /multiple "from"/);
  });

  it('knows FIDO (sk-*) keys, certificates and the rsa-sha2 names', () => {
    for (const [type, inner] of [
      ['sk-ssh-ed25519@openssh.com', 'sk-ssh-ed25519@openssh.com'],
      ['sk-ecdsa-sha2-nistp256@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com'],
      ['ssh-ed25519-cert-v01@openssh.com', 'ssh-ed25519-cert-v01@openssh.com'],
      ['sk-ssh-ed25519-cert-v01@openssh.com', 'sk-ssh-ed25519-cert-v01@openssh.com'],
      ['ecdsa-sha2-nistp384-cert-v01@openssh.com', 'ecdsa-sha2-nistp384-cert-v01@openssh.com'],
      ['rsa-sha2-512', 'ssh-rsa'],
      ['webauthn-sk-ecdsa-sha2-nistp256@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com'],
    ] as const) {
      assert.equal(key(`restrict ${type} ${blobOf(inner)} c`).key.type, type);
    }
    assert.equal(key(`cert-authority,principals="a,b" ssh-ed25519 ${blobOf('ssh-ed25519')}`).options.principals, 'a,b');
  });
});

describe('AuthorizedPrincipalsFile lines, as sshd cuts them', () => {
  const principal = (line: string) => {
    const parsed = parsePrincipalsLine(line);
    assert.equal(parsed.kind, 'principal', JSON.stringify(parsed));
    return parsed as Extract<KeysLine, { kind: 'principal' }>;
  };

  it('reads a bare principal and one after options', () => {
    assert.equal(principal('  deploy  ').principal, 'deploy');
    const parsed = principal('restrict,command="portcullis --level ops" deploy # the pipeline');
    assert.equal(parsed.principal, 'deploy');
    assert.equal(parsed.options.command, 'portcullis --level ops');
  });

  it('ends the line at # even inside quotes: what is left is one word, read as the principal', () => {
    assert.equal(principal('restrict,command="portcullis #x" deploy').principal, 'restrict,command="portcullis');
    assert.equal(parsePrincipalsLine('restrict,command="portcullis --level #x" deploy').kind, 'invalid');
  });

  it('takes the principal after the last space, even one inside quotes when a tab separates it', () => {
    assert.equal(principal('restrict,command="portcullis --level ops"\tdeploy').principal, 'ops"\tdeploy');
  });

  it('keeps the \\r of a CRLF file in the principal, as sshd does (it then matches no certificate)', () => {
    assert.equal(principal('restrict deploy\r').principal, 'deploy\r');
  });

  it('flags text between the options and the principal, which sshd drops', () => {
    assert.equal(parsePrincipalsLine('restrict --level admin deploy').kind, 'invalid');
  });
});

describe('key options: properties', () => {
  const value = fc.string({ unit: fc.constantFrom(...' ,"\\=abcAZ09-./\t'.split('')), maxLength: 40 }).filter((v) => !v.endsWith('\\'));

  it('reads back any command= and from= value an operator can quote', () => {
    fc.assert(
      fc.property(value, value, (command, from) => {
        const parsed = key(`restrict,from=${quoted(from)},command=${quoted(command)} ${ED25519} comment`);
        assert.equal(parsed.options.command, command);
        assert.equal(parsed.options.from, from);
        assert.equal(parsed.key.fingerprint, ED25519_FP);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on any line, and a refusal always says why', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...' ,"\\=#\trestrictcomandpty-AZ\r'.split('')), maxLength: 60 }), fc.boolean(), (text, withKey) => {
        for (const parsed of [parseAuthorizedKeysLine(withKey ? `${text} ${ED25519}` : text), parsePrincipalsLine(text)]) {
          if (parsed.kind === 'invalid') assert.ok(parsed.reason.length > 0);
        }
        const options = parseKeyOptions(text);
        if (!options.ok) assert.ok(options.reason.length > 0);
      }),
      { numRuns: 2000 },
    );
  });
});
