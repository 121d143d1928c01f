import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAudit } from '../testkit/process.js';
import { BUNDLE } from '../testkit/sshd.js';

/** A config written for the e2e suites, with every kind of action they exercise. */
export interface E2eFixture {
  readonly dir: string;
  readonly configPath: string;
  readonly auditPath: string;
  readonly secret: string;
  command(options: string): string;
  auditRecords(): Array<Record<string, any>>;
  cleanup(): void;
}

/** `serverExtra` adds lines to `[server]` (e.g. `forced_line = true`). */
export function makeFixture(extraToml = '', serverExtra = ''): E2eFixture {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-e2e-'));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'logs'));
  writeFileSync(join(dir, 'logs', 'app.log'), 'line one\nline two\n');
  const secret = 'e2e-secret-0123456789abcdef';
  writeFileSync(join(dir, 'bot.secret'), `${secret}\n`, { mode: 0o600 });
  const configPath = join(dir, 'config.toml');
  const auditPath = join(dir, 'audit.jsonl');
  writeFileSync(configPath, fixtureToml(dir, serverExtra) + extraToml, { mode: 0o644 });
  return {
    dir,
    configPath,
    auditPath,
    secret,
    command: (options) => `${BUNDLE} --config ${configPath} ${options}`,
    auditRecords: () => readAudit(auditPath),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}


/** OpenSSH's own SHA256 fingerprint of a public key file. */
export function fingerprintOf(publicKeyFile: string): string {
  const line = execFileSync('ssh-keygen', ['-lf', publicKeyFile, '-E', 'sha256'], { encoding: 'utf8' });
  return line.split(' ')[1] ?? '';
}

function fixtureToml(dir: string, serverExtra: string): string {
  return `
[server]
id = "e2e-host"
audit_log = "${dir}/audit.jsonl"
state_dir = "${dir}/state"
kill_grace = 1
max_output_bytes = 4096
${serverExtra}

[tokens.bot]
secret = "file:${dir}/bot.secret"
level = "admin"
tags = ["billing"]

[domains.t]
description = "Test actions"

[domains.t.actions.echo]
description = "Echo a message"
level = "read"
exec = ["/bin/echo", "{msg}"]
[domains.t.actions.echo.args.msg]
type = "string"
[domains.t.actions.echo.args.secret]
type = "string"
sensitive = true
required = false

[domains.t.actions.env]
description = "Print the environment"
level = "read"
exec = ["/usr/bin/env"]
env = { GREETING = "hello {identity}" }

[domains.t.actions.fail]
description = "Exit 3 with a message on stderr"
level = "read"
exec = ["/bin/sh", "-c", "echo oops >&2; exit 3"]

[domains.t.actions.stubborn]
description = "Ignores SIGTERM"
level = "read"
timeout = 1
exec = ["/bin/sh", "-c", "trap '' TERM; while :; do sleep 1; done"]

[domains.t.actions.orphan]
description = "Leaves a grandchild behind"
level = "read"
exec = ["/bin/sh", "-c", "sleep 300 & echo $!"]

[domains.t.actions.escape]
description = "A grandchild escapes the process group and holds the pipes"
level = "read"
exec = ["/bin/sh", "-c", "setsid sleep 30 & echo $!"]

[domains.t.actions.cat]
description = "Echo stdin"
level = "ops"
exec = ["/bin/cat"]
stdin = { max_bytes = 1024 }

[domains.t.actions.big]
description = "Lots of output on both streams"
level = "read"
exec = ["/bin/sh", "-c", "head -c 3000000 /dev/zero | tr '\\\\0' a; head -c 5000 /dev/zero | tr '\\\\0' b >&2"]

[domains.t.actions.binary]
description = "Bytes that are not UTF-8"
level = "read"
exec = ["/usr/bin/printf", "\\\\377\\\\376ok"]

[domains.t.actions.sleep]
description = "Sleeps"
level = "read"
exec = ["/bin/sleep", "{seconds}"]
[domains.t.actions.sleep.args.seconds]
type = "int"
min = 0
max = 60

[domains.t.actions.ops]
description = "Needs ops"
level = "ops"
exec = ["/bin/echo", "ops ran"]

[domains.t.actions.admin]
description = "Needs admin"
level = "admin"
exec = ["/bin/echo", "admin ran"]

[domains.t.actions.missing]
description = "Its program is not installed"
level = "read"
exec = ["/nonexistent/program"]

[domains.t.actions.tail]
description = "Tail a log"
level = "read"
exec = ["/usr/bin/tail", "-n", "1", "{file}"]
[domains.t.actions.tail.args.file]
type = "path"
root = "${dir}/logs"

[domains.t.actions.mark]
description = "Leaves a marker file"
level = "read"
exec = ["/usr/bin/touch", "${dir}/marker"]

[domains.t.actions.which]
description = "Says which config served it"
level = "read"
exec = ["/bin/echo", "config-A"]

[domains.t.actions.flood]
description = "10 MiB on each stream"
level = "read"
exec = ["/bin/sh", "-c", "head -c 10485760 /dev/zero | tr '\\\\0' x & head -c 10485760 /dev/zero | tr '\\\\0' y >&2; wait"]

[domains.billing]
description = "Tenant-only"

[domains.billing.actions.report]
description = "Revenue"
level = "read"
tags = ["billing"]
exec = ["/bin/echo", "revenue: 42"]
`;
}
