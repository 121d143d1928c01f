import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAudit } from './process.js';
import { makeTempDir, serverTable, writeFileWithMode } from './tmp.js';

export const ATTACK_SECRET = Buffer.from('attack-catalog-secret-0123456789', 'utf8');

/** A host built to be attacked: actions that would be dangerous if any rule slipped. */
export interface AttackHost {
  readonly dir: string;
  readonly config: string;
  readonly root: string;
  audit(): Array<Record<string, any>>;
}

export function makeAttackHost(serverExtra = 'id = "attack-host"'): AttackHost {
  const dir = makeTempDir('portcullis-attack-');
  const root = join(dir, 'allow');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(join(dir, 'allow-evil'));
  writeFileSync(join(root, 'notes.txt'), 'inside the root\n');
  writeFileSync(join(root, 'sub', 'x'), 'in sub\n');
  mkdirSync(join(root, '%2e%2e'));
  writeFileSync(join(root, '%2e%2e', 'x.txt'), 'a literal %2e%2e directory\n');
  writeFileSync(join(dir, 'allow-evil', 'loot.txt'), 'outside the root\n');
  writeFileSync(join(dir, 'secret.txt'), 'top secret\n');
  symlinkSync('/etc', join(root, 'etc-link'));
  symlinkSync(join(dir, 'allow-evil'), join(root, 'evil-link'));
  symlinkSync(join(dir, 'created-outside.txt'), join(root, 'dangling'));
  const body = `
[tokens.bot]
secret = "hex:${ATTACK_SECRET.toString('hex')}"
level = "admin"
tags = ["billing"]

[domains.app]
description = "Application"
[domains.app.actions.status]
description = "Status"
level = "read"
exec = ["/bin/echo", "status ok"]
[domains.app.actions.echo]
description = "Echo one argument"
level = "read"
exec = ["/usr/bin/printf", "%s|", "{msg}"]
[domains.app.actions.echo.args.msg]
type = "string"
max_length = 64
[domains.app.actions.deploy]
description = "Deploy"
level = "admin"
exec = ["/bin/echo", "deployed {channel}"]
[domains.app.actions.deploy.args.channel]
type = "enum"
values = ["stable", "canary"]
default = "stable"
[domains.app.actions.restart]
description = "Restart"
level = "ops"
exec = ["/bin/echo", "restarted {n}"]
[domains.app.actions.restart.args.n]
type = "int"
min = 1
max = 10
[domains.app.actions.login]
description = "Uses a password"
level = "read"
exec = ["/bin/sh", "-c", "test -n \\"$PASSWORD\\" && echo logged-in"]
env = { PASSWORD = "{password}" }
[domains.app.actions.login.args.password]
type = "string"
sensitive = true
[domains.app.actions.rotate]
description = "Rotate a key (admin, sensitive)"
level = "admin"
exec = ["/bin/true"]
env = { KEY = "{key}" }
[domains.app.actions.rotate.args.key]
type = "string"
sensitive = true
[domains.app.actions.flag]
description = "A boolean"
level = "read"
exec = ["/bin/echo", "{on}"]
[domains.app.actions.flag.args.on]
type = "bool"
[domains.app.actions.host]
description = "A host name"
level = "read"
exec = ["/bin/echo", "{name}"]
[domains.app.actions.host.args.name]
type = "string"
pattern = "[a-z0-9.-]+"
[domains.app.actions.env]
description = "Print the environment"
level = "read"
exec = ["/usr/bin/env"]
[domains.app.actions.pwd]
description = "Print the working directory"
level = "read"
cwd = "${root}"
exec = ["/bin/pwd"]
[domains.app.actions.readin]
description = "Reads stdin without declaring it"
level = "read"
exec = ["/bin/cat"]
[domains.app.actions.upload]
description = "Declares stdin"
level = "read"
exec = ["/usr/bin/wc", "-c"]
stdin = { max_bytes = 16 }
[domains.app.actions.exit]
description = "Exit with a code"
level = "read"
exec = ["/bin/sh", "-c", "exit $0", "{code}"]
[domains.app.actions.exit.args.code]
type = "int"
min = 0
max = 255
[domains.app.actions.selfkill]
description = "Killed by a signal"
level = "read"
exec = ["/bin/sh", "-c", "kill -9 $$"]
[domains.app.actions.missing]
description = "Program not installed"
level = "read"
exec = ["/nonexistent/bin/tool"]
[domains.app.actions.stubborn]
description = "Ignores SIGTERM"
level = "read"
timeout = 1
exec = ["/bin/sh", "-c", "trap '' TERM; while :; do sleep 1; done"]
[domains.app.actions.patient]
description = "Ignores SIGTERM, long timeout; prints its pid first"
level = "read"
timeout = 30
exec = ["/bin/sh", "-c", "echo $$; trap '' TERM; while :; do sleep 1; done"]
[domains.app.actions.forge]
description = "Prints text that looks like an answer and a log line"
level = "read"
exec = ["/usr/bin/printf", "{{\\"ok\\":true}}\\n\\u001b[2J\\n{{\\"event\\":\\"decision\\"}}\\n"]
[domains.app.actions.binary]
description = "Prints bytes that are not UTF-8"
level = "read"
exec = ["/usr/bin/printf", "\\\\377\\\\000\\\\376"]
[domains.app.actions.controls]
description = "Output made of control bytes"
level = "read"
max_output_bytes = 3000
exec = ["/bin/sh", "-c", "head -c 100000 /dev/zero | tr '\\\\0' '\\\\1'"]
[domains.app.actions.flood]
description = "More output than the cap"
level = "read"
max_output_bytes = 1000
exec = ["/bin/sh", "-c", "head -c 200000 /dev/zero | tr '\\\\0' a"]

[domains.files]
description = "Files under a root"
[domains.files.actions.cat]
description = "Read a file"
level = "read"
exec = ["/bin/cat", "{file}"]
[domains.files.actions.cat.args.file]
type = "path"
root = "${root}"
must_exist = true
[domains.files.actions.touch]
description = "Create a file"
level = "read"
exec = ["/usr/bin/touch", "{file}"]
[domains.files.actions.touch.args.file]
type = "path"
root = "${root}"

[domains.billing]
description = "Tenant-only"
[domains.billing.actions.report]
description = "Revenue"
level = "read"
tags = ["billing"]
exec = ["/bin/echo", "revenue"]

[domains.shared]
description = "Shared domain with one tenant action"
[domains.shared.actions.open]
description = "Open to all"
level = "read"
exec = ["/bin/echo", "open"]
[domains.shared.actions.private]
description = "Billing only"
level = "read"
tags = ["billing"]
exec = ["/bin/echo", "private"]
[domains.shared.actions.vault]
description = "Billing only, sensitive"
level = "read"
tags = ["billing"]
exec = ["/bin/true"]
env = { PIN = "{pin}" }
[domains.shared.actions.vault.args.pin]
type = "string"
sensitive = true
`;
  const config = writeFileWithMode(join(dir, 'config.toml'), serverTable(dir, serverExtra) + body, 0o600);
  return { dir, config, root, audit: () => readAudit(join(dir, 'audit.jsonl')) };
}
