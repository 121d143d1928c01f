import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { serveOnce } from '../testkit/serve-once.js';
import { makeTempDir, serverTable, writeFileWithMode } from '../testkit/tmp.js';
import { fuzzParameters, hostileText } from './_budget.js';

function fuzzConfig(): { path: string; audit: string } {
  const dir = makeTempDir();
  const body = `
[tokens.bot]
secret = "hex:${'ab'.repeat(16)}"
level = "admin"
[domains.app]
description = "App"
[domains.app.actions.run]
description = "Run"
level = "read"
exec = ["/bin/true", "{msg}", "{n}"]
[domains.app.actions.run.args.msg]
type = "string"
required = false
[domains.app.actions.run.args.n]
type = "int"
default = 1
[domains.app.actions.admin]
description = "Admin"
level = "admin"
exec = ["/bin/true"]
[domains.app.actions.file]
description = "File"
level = "read"
exec = ["/bin/true", "{file}"]
[domains.app.actions.file.args.file]
type = "path"
root = "${dir}"
`;
  return { path: writeFileWithMode(join(dir, 'config.toml'), serverTable(dir) + body, 0o600), audit: join(dir, 'audit.jsonl') };
}

it('fuzz the whole serve path in-process: exactly one valid JSON line out, never a throw, audit lines stay lines', async () => {
  const config = fuzzConfig();
  const requests = fc.oneof(
    hostileText(30),
    fc.tuple(fc.constantFrom('app run', 'app admin', 'app file', 'help app', 'whoami', 'list', 'app __proto__', 'constructor x'), hostileText(12)).map(([a, b]) => `${a} ${b}`),
  );
  await fc.assert(
    fc.asyncProperty(requests, fc.constantFrom(['--level', 'read'], ['--level', 'admin'], ['--level', 'bogus']), async (request, argv) => {
      const { status, stdout, stderr } = await serveOnce(config.path, request, { argv });
      assert.ok(stdout.endsWith('\n') && stdout.indexOf('\n') === stdout.length - 1, `not one line: ${JSON.stringify(stdout)}`);
      const response = JSON.parse(stdout) as { v: number; ok: boolean; request_id: string; error?: { code: string } };
      assert.equal(response.v, 1);
      assert.equal(typeof response.ok, 'boolean');
      assert.ok(status !== null && Number.isInteger(status) && status >= 0 && status <= 133);
      assert.ok(!stderr.includes('    at '), 'a stack trace reached stderr');
      if (response.error) assert.equal(stderr.split('\n')[0]?.startsWith(`portcullis: ${response.error.code}: `), true);
    }),
    fuzzParameters('serve path', 150, 100),
  );
  for (const line of readFileSync(config.audit, 'utf8').split('\n').filter(Boolean)) {
    const record = JSON.parse(line) as { event: string };
    assert.ok(record.event === 'decision' || record.event === 'outcome');
  }
});
