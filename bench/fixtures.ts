import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE } from '../testkit/sshd.js';
import { LAUNCHER, launcherArgs } from '../src/exec/_launcher.js';

/** The Node floor (issue 7): the smallest script that spawns /bin/true, waits and prints one line. */
export const FLOOR_SCRIPT = `const { spawn } = require('node:child_process');
spawn('/bin/true', [], { stdio: 'ignore' }).on('exit', (code) => process.stdout.write(JSON.stringify({ ok: code === 0 }) + '\\n'));
`;

/**
 * The floor plus the least the contract asks of any implementation, with none of our code:
 * read the config and its compiled form and hash the config (a compiled form must be bound
 * to its source), a random request id, a decision record appended before the spawn and an
 * outcome record after, output captured through pipes in the action's own process group,
 * SHA-256 of the output, one JSON line. argv: config path, compiled path, audit log path.
 * The gap between this and Portcullis is our own overhead. `withGuard` starts /bin/true
 * through the in-group guard's /bin/sh (ADR 0017), which docs/protocol.md §7.1 asks of
 * every implementation ("no window without a bound"), so the bench shows its cost apart.
 */
export function contractFloorScript(withGuard: boolean): string {
  const [file, args, stdio] = withGuard
    ? [LAUNCHER, launcherArgs('/bin/true', [], {}), ['ignore', 'pipe', 'pipe', 'pipe']]
    : ['/bin/true', [], ['ignore', 'pipe', 'pipe']];
  return `const fs = require('node:fs');
const crypto = require('node:crypto');
const { spawn } = require('node:child_process');
const [config, compiled, audit] = process.argv.slice(2);
const id = crypto.randomUUID();
const source = crypto.createHash('sha256').update(fs.readFileSync(config)).digest('hex');
const header = fs.readFileSync(compiled).subarray(0, 64).toString('latin1');
const log = fs.openSync(audit, 'a');
fs.writeSync(log, JSON.stringify({ ts: new Date().toISOString(), event: 'decision', id, source, header }) + '\\n');
const hash = crypto.createHash('sha256');
const child = spawn(${JSON.stringify(file)}, ${JSON.stringify(args)}, { stdio: ${JSON.stringify(stdio)}, detached: true, env: { PATH: '/usr/bin:/bin' } });
child.stdout.on('data', (chunk) => hash.update(chunk));
child.stderr.on('data', () => undefined);
// As Portcullis does: what the program left in its group (the guard) dies with it.
child.on('exit', () => { try { process.kill(-child.pid, 'SIGKILL'); } catch {} });
child.on('close', (code) => {
  fs.writeSync(log, JSON.stringify({ ts: new Date().toISOString(), event: 'outcome', id, code }) + '\\n');
  fs.writeSync(1, JSON.stringify({ id, ok: code === 0, sha256: hash.digest('hex') }) + '\\n');
  process.exit(0);
});
`;
}

/**
 * The session floor: the smallest JSON Lines server that answers a hello line, then runs
 * /bin/true for each request line, one at a time, with output through pipes in its own
 * process group, and answers one line with the id; an end line after EOF. Nothing of ours,
 * no policy, no audit. `withGuard` starts /bin/true as Portcullis does, through the
 * in-group guard's /bin/sh (ADR 0017), so the bench shows what the guard alone costs.
 */
export function sessionFloorScript(withGuard: boolean): string {
  const env = { PATH: '/usr/bin:/bin' };
  const [file, args, stdio] = withGuard
    ? [LAUNCHER, launcherArgs('/bin/true', [], env), ['ignore', 'pipe', 'pipe', 'pipe']]
    : ['/bin/true', [], ['ignore', 'pipe', 'pipe']];
  return `const { spawn } = require('node:child_process');
const ENV = { PATH: '/usr/bin:/bin' };
const queue = [];
let running = false;
let ended = false;
let buffered = '';
const write = (value) => process.stdout.write(JSON.stringify(value) + '\\n');
const pump = () => {
  if (running) return;
  if (queue.length === 0) {
    if (ended) write({ v: 1, ok: true, event: 'end', reason: 'eof' });
    return;
  }
  running = true;
  const { id } = JSON.parse(queue.shift());
  const child = spawn(${JSON.stringify(file)}, ${JSON.stringify(args)}, { stdio: ${JSON.stringify(stdio)}, detached: true, env: ENV });
  child.stdout.on('data', () => undefined);
  child.stderr.on('data', () => undefined);
  // As Portcullis does: what the program left in its group (the guard) dies with it.
  child.on('exit', () => { try { process.kill(-child.pid, 'SIGKILL'); } catch {} });
  child.on('close', (code) => {
    write({ v: 1, id, ok: code === 0 });
    running = false;
    pump();
  });
};
write({ v: 1, ok: true, session: {} });
process.stdin.setEncoding('utf8').on('data', (chunk) => {
  buffered += chunk;
  for (let end = buffered.indexOf('\\n'); end >= 0; end = buffered.indexOf('\\n')) {
    queue.push(buffered.slice(0, end));
    buffered = buffered.slice(end + 1);
  }
  pump();
});
process.stdin.on('end', () => {
  ended = true;
  pump();
});
`;
}

/** Preloaded into every measured process alike: reports its peak RSS on stderr at exit. */
export const RSS_REPORTER = {
  path: join('/tmp', `portcullis-bench-rss-${process.pid}.js`),
  source: `process.on('exit', () => require('node:fs').writeSync(2, 'portcullis-bench-rss=' + process.resourceUsage().maxRSS + '\\n'));\n`,
};

/**
 * Writes a config with `actions` actions spread over domains d0…, each running /bin/true
 * with a few typed arguments, and (unless `compiled` is false) its compiled form.
 * `serverTables` is TOML appended to `[server]` (more keys, or `[server.session]`).
 */
export function generateConfig(dir: string, name: string, actions: number, compiled = true, serverTables = ''): string {
  let toml = `[server]\naudit_log = "${dir}/${name}-audit.jsonl"\n${serverTables}`;
  for (let i = 0; i < actions; i++) {
    const domain = `d${Math.floor(i / 5)}`;
    if (i % 5 === 0) toml += `\n[domains.${domain}]\ndescription = "Domain ${domain}"\n`;
    const action = `a${i % 5}`;
    toml += `
[domains.${domain}.actions.${action}]
description = "Action ${i}"
level = "read"
exec = ["/bin/true", "--n={n}", "{name}"]
[domains.${domain}.actions.${action}.args.n]
type = "int"
min = 0
max = 100
default = 1
[domains.${domain}.actions.${action}.args.name]
type = "string"
pattern = "[a-z0-9.-]+"
default = "localhost"
`;
  }
  const path = join(dir, `${name}.toml`);
  writeFileSync(path, toml, { mode: 0o644 });
  if (compiled) execFileSync(BUNDLE, ['check', '--config', path, '--compile'], { stdio: 'ignore' });
  return path;
}
