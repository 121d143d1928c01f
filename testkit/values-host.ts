import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAudit } from './process.js';
import { makeTempDir, serverTable, writeFileWithMode } from './tmp.js';

/** The pattern of issue 5: plausible for a label, exponential for a backtracking engine. */
export const ADVERSARIAL_PATTERN = '([a-z0-9]+-?)+';

export interface ValuesHost {
  readonly dir: string;
  readonly root: string;
  readonly config: string;
  audit(): Array<Record<string, any>>;
}

/** A host for argument values: int bounds, a hostile pattern, path substitution, separators. */
export function makeValuesHost(): ValuesHost {
  const dir = makeTempDir('portcullis-values-');
  const root = join(dir, 'root');
  mkdirSync(join(root, 'inside'), { recursive: true });
  mkdirSync(join(dir, 'outside'));
  writeFileSync(join(root, 'inside', 'f.txt'), 'inside the root\n');
  writeFileSync(join(dir, 'outside', 'f.txt'), 'outside the root\n');
  // Relative, so that it points inside the root whatever the temp dir's own symlinks.
  symlinkSync('inside', join(root, 'link'));
  symlinkSync('inside', join(root, 'moving'));
  const body = `
[domains.v]
description = "Argument values"
[domains.v.actions.signal]
description = "kill -s 0 {pid}, shown with echo"
level = "read"
exec = ["/bin/echo", "kill", "-s", "0", "{pid}"]
[domains.v.actions.signal.args.pid]
type = "int"
[domains.v.actions.offset]
description = "An int whose min is written below 0"
level = "read"
exec = ["/bin/echo", "{n}"]
[domains.v.actions.offset.args.n]
type = "int"
min = -10
max = 10
[domains.v.actions.label]
description = "A label with the pattern of issue 5"
level = "read"
exec = ["/bin/echo", "{label}"]
[domains.v.actions.label.args.label]
type = "string"
pattern = "${ADVERSARIAL_PATTERN}"
[domains.v.actions.show]
description = "Prints the path it receives"
level = "read"
exec = ["/bin/echo", "{file}"]
[domains.v.actions.show.args.file]
type = "path"
root = "${root}"
[domains.v.actions.retarget]
description = "Stands for a racing writer: retargets moving outside the root, then reads the path"
level = "read"
exec = ["/bin/sh", "-c", "ln -sfn \\"$1\\" \\"$2\\" && cat \\"$0\\"", "{file}", "${dir}/outside", "${root}/moving"]
[domains.v.actions.retarget.args.file]
type = "path"
root = "${root}"
must_exist = true
[domains.v.actions.separators]
description = "Prints the line and paragraph separators"
level = "read"
exec = ["/bin/echo", "line one\\u2028line two\\u2029line three"]
[domains.v.actions.marker]
description = "Leaves a file behind when it runs"
level = "read"
exec = ["/usr/bin/touch", "${dir}/ran"]
`;
  const config = writeFileWithMode(join(dir, 'config.toml'), serverTable(dir) + body, 0o600);
  return { dir, root, config, audit: () => readAudit(join(dir, 'audit.jsonl')) };
}
