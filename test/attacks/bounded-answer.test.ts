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

/** The bundle serving `request` with its stdout in a file: the answer, and its peak RSS in KiB. */
function serveMeasured(dir: string, config: string, request: string): { answer: Record<string, any>; peakKib: number } {
  const probe = join(dir, 'probe.cjs');
  writeFileSync(probe, PROBE);
  const rssOut = join(dir, `rss-${request.replace(/\W/g, '_')}`);
  const result = spawnSync(process.execPath, ['--require', probe, BUNDLE, '--config', config, '--level', 'read'], {
    env: { PATH: '/usr/bin:/bin', SSH_ORIGINAL_COMMAND: request, RSS_OUT: rssOut },
    maxBuffer: 256 * 1024 * 1024,
  });
  return { answer: JSON.parse(result.stdout.toString('utf8')), peakKib: Number(readFileSync(rssOut, 'utf8')) };
}

describe('attack catalog: OUT (bounded answers)', () => {
  it('OUT-026 answers 100 MB of zero bytes capped at 64 MiB within 3× the cap over the idle RSS, and losslessly', () => {
    const dir = makeTempDir();
    const config = writeFileWithMode(
      join(dir, 'config.toml'),
      `${serverTable(dir, `max_output_bytes = ${CAP}`)}[domains.app]\ndescription = "App"\n` +
        `[domains.app.actions.zeros]\ndescription = "100 MB of zeros"\nlevel = "read"\nexec = ["/usr/bin/head", "-c", "100000000", "/dev/zero"]\n` +
        `[domains.app.actions.idle]\ndescription = "Nothing"\nlevel = "read"\nexec = ["/bin/true"]\n`,
      0o600,
    );
    const idle = serveMeasured(dir, config, 'app idle');
    const zeros = serveMeasured(dir, config, 'app zeros');
    assert.deepEqual([zeros.answer.stdout_bytes, zeros.answer.stdout_truncated, zeros.answer.stdout_encoding], [100_000_000, true, 'base64']);
    const decoded = Buffer.from(zeros.answer.stdout, 'base64');
    assert.equal(decoded.length, CAP);
    assert.equal(decoded.indexOf(1), -1);
    // Measured: 628 MiB before answers were captured in place and written in pieces; about 223 MiB after.
    const bound = idle.peakKib + (3 * CAP) / 1024;
    assert.ok(zeros.peakKib <= bound, `peak RSS ${zeros.peakKib} KiB over the bound ${bound} KiB (idle ${idle.peakKib} KiB)`);
  });
});
