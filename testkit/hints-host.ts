import { join } from 'node:path';
import { runBundle } from './bundle.js';
import type { SshResult } from './sshd.js';
import { makeTempDir, serverTable, writeFileWithMode } from './tmp.js';

/**
 * The host the measured agent mistakes of issue 13 were made against: `infra uptime`,
 * `host disk mount=…`, `app deploy version=… note=…`, `logs tail file=…`, plus things an
 * untagged `read` caller must never see named: the `billing` domain and `app refund` (tagged),
 * `app restart` (ops) and `app destroy` (admin).
 */
export interface HintsHost {
  readonly dir: string;
  readonly config: string;
  /** Serves `request` through the built bundle, as sshd's form A would. */
  serve(request: string, argv?: readonly string[]): Promise<SshResult>;
}

export function makeHintsHost(): HintsHost {
  const dir = makeTempDir('portcullis-hints-');
  const body = `
[domains.infra]
description = "The machine"
[domains.infra.actions.uptime]
description = "Uptime"
level = "read"
exec = ["/usr/bin/uptime"]
[domains.infra.actions.ps]
description = "Processes"
level = "read"
exec = ["/bin/ps", "-e"]

[domains.host]
description = "Host resources"
[domains.host.actions.disk]
description = "Free space of one mount"
level = "read"
exec = ["/bin/df", "-h", "{mount}"]
examples = ["host disk mount=/var"]
effects = "read"
idempotent = true
[domains.host.actions.disk.args.mount]
type = "string"
pattern = "/[a-z/]*"

[domains.app]
description = "The application"
[domains.app.actions.deploy]
description = "Deploy a version"
level = "read"
exec = ["/bin/echo", "deploy", "{version}", "{note}"]
examples = ["app deploy version=1.4.2", "app deploy version=1.4.2 note='hotfix for login'"]
[domains.app.actions.deploy.args.version]
type = "string"
pattern = "[0-9]+\\\\.[0-9]+\\\\.[0-9]+"
[domains.app.actions.deploy.args.note]
type = "string"
default = ""
[domains.app.actions.login]
description = "Log in"
level = "read"
exec = ["/bin/true"]
env = { PASS = "{password}" }
[domains.app.actions.login.args.password]
type = "string"
sensitive = true
[domains.app.actions.restart]
description = "Restart"
level = "ops"
exec = ["/bin/true"]
[domains.app.actions.refund]
description = "Refund (billing tenants only)"
level = "read"
tags = ["billing"]
exec = ["/bin/true"]
[domains.app.actions.destroy]
description = "Destroy everything"
level = "admin"
exec = ["/bin/true"]
[domains.app.actions.destroy.args.confirm]
type = "bool"

[domains.logs]
description = "Logs"
[domains.logs.actions.tail]
description = "Last lines of a log"
level = "read"
exec = ["/usr/bin/tail", "-n", "5", "{file}"]
[domains.logs.actions.tail.args.file]
type = "path"
root = "${dir}"
must_exist = true
[domains.logs.actions.import]
description = "Import lines"
level = "read"
exec = ["/bin/cat"]
stdin = { max_bytes = 1024 }
timeout = 1

[domains.billing]
description = "Billing"
[domains.billing.actions.report]
description = "Report"
level = "read"
tags = ["billing"]
exec = ["/bin/true"]
[domains.billing.actions.uptimes]
description = "Billing uptimes"
level = "read"
tags = ["billing"]
exec = ["/bin/true"]
`;
  const config = writeFileWithMode(join(dir, 'config.toml'), serverTable(dir) + body, 0o600);
  return {
    dir,
    config,
    serve: (request, argv = ['--level', 'read']) => runBundle(['--config', config, ...argv], { SSH_ORIGINAL_COMMAND: request }),
  };
}
