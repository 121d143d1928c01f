import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE } from '../../testkit/sshd.js';
import { makeTempDir, serverTable, writeFileWithMode } from '../../testkit/tmp.js';

const CAP = 64 * 1024 * 1024;

/** Writes, at exit, the peak resident memory of this process in KiB. */
const PROBE = `process.on('exit', () => require('node:fs').writeFileSync(process.env.RSS_OUT, String(process.resourceUsage().maxRSS)));`;

/**
 * The bundle serving `request` (one-shot, or as the one line of a session) with its stdout
 * in a pipe: the answer, and its peak RSS in KiB.
 */
function serveMeasured(dir: string, config: string, request: string, session = false): { answer: Record<string, any>; peakKib: number } {
  const probe = join(dir, 'probe.cjs');
  writeFileSync(probe, PROBE);
  const rssOut = join(dir, `rss-${session ? 'session-' : ''}${request.replace(/\W/g, '_')}`);
  const result = spawnSync(process.execPath, ['--require', probe, BUNDLE, '--config', config, '--level', 'read'], {
    env: { PATH: '/usr/bin:/bin', SSH_ORIGINAL_COMMAND: session ? 'session' : request, RSS_OUT: rssOut },
    input: session ? `${JSON.stringify({ id: 'big', request })}\n` : '',
    maxBuffer: 256 * 1024 * 1024,
  });
  const lines = result.stdout.toString('utf8').split('\n').filter((line) => line !== '');
  // A session's lines: the hello, the answer, the end.
  const answer = JSON.parse((session ? lines[1] : lines[0]) ?? 'null') as Record<string, any>;
  if (session) assert.equal(answer.id, 'big');
  return { answer, peakKib: Number(readFileSync(rssOut, 'utf8')) };
}

function zerosConfig(dir: string): string {
  return writeFileWithMode(
    join(dir, 'config.toml'),
    `${serverTable(dir, `max_output_bytes = ${CAP}`)}[server.session]\nenabled = true\nidle_timeout = 60\n[domains.app]\ndescription = "App"\n` +
      `[domains.app.actions.zeros]\ndescription = "100 MB of zeros"\nlevel = "read"\nexec = ["/usr/bin/head", "-c", "100000000", "/dev/zero"]\n` +
      `[domains.app.actions.idle]\ndescription = "Nothing"\nlevel = "read"\nexec = ["/bin/true"]\n`,
    0o600,
  );
}

function assertZerosAnswer(answer: Record<string, any>): void {
  assert.deepEqual([answer.stdout_bytes, answer.stdout_truncated, answer.stdout_encoding], [100_000_000, true, 'base64']);
  const decoded = Buffer.from(answer.stdout, 'base64');
  assert.equal(decoded.length, CAP);
  assert.equal(decoded.indexOf(1), -1);
}

describe('attack catalog: OUT (bounded answers)', () => {
  it('OUT-026 answers 100 MB of zero bytes capped at 64 MiB within 3× the cap over the idle RSS, and losslessly', () => {
    const dir = makeTempDir();
    const config = zerosConfig(dir);
    const idle = serveMeasured(dir, config, 'app idle');
    const zeros = serveMeasured(dir, config, 'app zeros');
    assertZerosAnswer(zeros.answer);
    // Measured: 628 MiB before answers were captured in place and written in pieces; about 223 MiB after.
    const bound = idle.peakKib + (3 * CAP) / 1024;
    assert.ok(zeros.peakKib <= bound, `peak RSS ${zeros.peakKib} KiB over the bound ${bound} KiB (idle ${idle.peakKib} KiB)`);
  });

  it('OUT-028 a session answers the same 100 MB within the same bound: its answer line is written in pieces too', () => {
    const dir = makeTempDir();
    const config = zerosConfig(dir);
    const idle = serveMeasured(dir, config, 'app idle');
    const zeros = serveMeasured(dir, config, 'app zeros', true);
    assertZerosAnswer(zeros.answer);
    // Measured: 497 MiB peak (439 MiB over idle) when a session built its answer as one string; 207 MiB in pieces.
    const bound = idle.peakKib + (3 * CAP) / 1024;
    assert.ok(zeros.peakKib <= bound, `peak RSS ${zeros.peakKib} KiB over the bound ${bound} KiB (idle ${idle.peakKib} KiB)`);
  });
});
