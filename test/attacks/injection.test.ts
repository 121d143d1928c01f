import { describe, it } from 'node:test';
import { makeAttackHost } from '../../testkit/attack-config.js';
import { assertOutcome, badRequestAt, ran, refused, type Expected } from '../../testkit/attack-rows.js';
import { serveOnce } from '../../testkit/serve-once.js';

/** [ID, the attack, the exact request, what must happen]. Mirrors test/attacks/CATALOG.md. */
const ROWS: ReadonlyArray<readonly [string, string, string, Expected]> = [
  ['INJ-001', 'rejects ";" command chaining', 'app echo msg=hi;id', refused('bad_request')],
  ['INJ-002', 'rejects "|" piping into another program', 'app echo msg=a|sh', refused('bad_request')],
  ['INJ-003', 'rejects "&&" chaining', 'app echo msg=a&&id', refused('bad_request')],
  ['INJ-004', 'rejects $(…) command substitution', 'app echo msg=$(id)', refused('bad_request')],
  ['INJ-005', 'rejects backtick substitution', 'app echo msg=`id`', refused('bad_request')],
  ['INJ-006', 'rejects ${IFS} variable expansion', 'app echo msg=${IFS}cat', refused('bad_request')],
  ['INJ-007', 'rejects an output redirect', 'app echo msg=x>/etc/passwd', refused('bad_request')],
  ['INJ-008', 'rejects an input redirect', 'app echo msg=x</etc/shadow', refused('bad_request')],
  ['INJ-009', 'rejects the lshell escape "echo () bash && echo"', 'app echo () bash && echo', refused('bad_request')],
  ['INJ-010', "rejects the lshell escape \"echo && 'bash'\"", "app echo msg=x && 'bash'", refused('bad_request')],
  ['INJ-011', 'passes the lshell escape "$(bash 1>&2)" as inert data when double-quoted', 'app echo msg="$(bash 1>&2)"', ran('$(bash 1>&2)|')],
  ['INJ-012', 'rejects a newline typed with Ctrl-V Ctrl-J, even quoted', "app echo msg='a\nid'", badRequestAt(16)],
  ['INJ-013', 'rejects a carriage return, even quoted', "app echo msg='a\rid'", badRequestAt(16)],
  ['INJ-014', 'rejects a NUL byte that would cut an argv element', "app echo msg='a\u0000b'", refused('bad_request')],
  ['INJ-015', 'rejects an ANSI escape sequence inside quotes (terminal injection)', "app echo msg='\u001b[2J'", refused('bad_request')],
  ['INJ-016', 'rejects a right-to-left override (trojan source)', "app echo msg='\u202eevil'", refused('bad_request')],
  ['INJ-017', 'rejects a zero-width space hidden in a name', 'ap\u200bp status', refused('bad_request')],
  ['INJ-018', 'rejects invalid UTF-8 (decoded as U+FFFD)', 'app echo msg=\ufffd', refused('bad_request')],
  ['INJ-019', 'rejects a lone surrogate', "app echo msg='\ud800'", refused('bad_request')],
  ['INJ-020', 'rejects an unquoted glob', 'files cat file=*', refused('bad_request')],
  ['INJ-021', 'passes a tilde as literal text: no home expansion', 'app echo msg=~root', ran('~root|')],
  ['INJ-022', 'rejects an unterminated quote', "app echo msg='abc", refused('bad_request')],
  ['INJ-023', 'rejects a backslash escape other than \\" and \\\\ in double quotes', 'app echo msg="a\\nb"', refused('bad_request')],
  ['INJ-024', 'rejects brace expansion', 'app echo msg={a,b}', refused('bad_request')],
  ['INJ-025', 'rejects history expansion', 'app echo msg=!!', refused('bad_request')],
  ['INJ-026', 'refuses a value starting with "-" (option injection, grep -f)', 'app echo msg=-f/etc/shadow', refused('bad_argument')],
  ['INJ-027', 'refuses "-exec" as a value (find -exec)', 'app echo msg=-exec', refused('bad_argument')],
  ['INJ-028', 'refuses a quoted leading dash (scp -S, rsync -e)', "app echo msg='-e sh -c id'", refused('bad_argument')],
  ['INJ-029', 'refuses "--" as a value (end-of-options trick)', 'app echo msg=--', refused('bad_argument')],
  ['INJ-030', 'refuses a positional word smuggled after the action', 'app echo hello', refused('bad_request')],
  ['INJ-031', 'refuses a request over max_request_bytes', `app echo msg=${'a'.repeat(9000)}`, refused('bad_request')],
  ['INJ-032', 'refuses 33 arguments', `app echo ${Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(' ')}`, refused('bad_request')],
  ['INJ-033', 'does not expand a placeholder sent inside a value', "app echo msg='{request_id}'", ran('{request_id}|')],
  ['INJ-034', 'refuses a Cyrillic look-alike domain name', 'аpp status', refused('bad_request')],
  ['INJ-035', 'refuses an uppercase domain name', 'APP status', refused('bad_request')],
  ['INJ-036', 'refuses an scp server request', 'scp -t /tmp', refused('bad_request')],
  ['INJ-037', 'refuses an sftp subsystem request', 'internal-sftp', refused('bad_request')],
  ['INJ-038', 'refuses an rsync server request', 'rsync --server -vlogDtpre.iLsfxC . /tmp', refused('bad_request')],
  ['INJ-039', 'refuses a git-upload-pack request', "git-upload-pack '/srv/repo.git'", refused('bad_request')],
  ['INJ-040', 'refuses a request that tries to pass --config', '--config=/tmp/evil.toml app status', refused('bad_request')],
  ['INJ-041', 'refuses a request that tries to run the check subcommand', 'check --config /tmp/evil.toml', refused('bad_request')],
  ['INJ-042', 'keeps a quoted value with spaces as one argv element', "app echo msg='a b  c'", ran('a b  c|')],
];

describe('attack catalog: INJ (grammar and injection), served in-process', () => {
  const host = makeAttackHost();
  for (const [id, attack, request, expected] of ROWS) {
    it(`${id} ${attack}`, async () => assertOutcome(await serveOnce(host.config, request), expected));
  }
});
