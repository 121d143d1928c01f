/**
 * Raw output (docs/protocol.md §13) through a real loopback sshd: the throughput of a raw
 * download against `command="cat FILE"` (same key type, same cipher, same file, alternating
 * runs), and the serving process's peak RSS during a 1 GiB download against a raw action
 * that writes a few bytes (its idle serve RSS).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, ftruncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE, SshdHarness } from '../testkit/sshd.js';
import { RSS_REPORTER } from './fixtures.js';
import { figure, median, round, row, type Row, type Verdict } from './table.js';

const GIB = 1024 * 1024 * 1024;

interface Download {
  readonly bytes: number;
  readonly seconds: number;
  /** The serving process's peak RSS (KiB), when it reported it on stderr. */
  readonly peakKb: number | null;
}

export async function rawDownloads(dir: string, rounds: number): Promise<{ rows: Row[]; verdicts: Verdict[] }> {
  const file = join(dir, 'raw-1g.bin');
  // A sparse file: both sides read the same page-cache zeros, so the transfer is what is measured.
  const fd = openSync(file, 'w', 0o644);
  ftruncateSync(fd, GIB);
  closeSync(fd);
  const config = join(dir, 'raw.toml');
  writeFileSync(config, `[server]\naudit_log = "${dir}/raw-audit.jsonl"\n[domains.dl]\ndescription = "Downloads"\n` +
    `[domains.dl.actions.file]\ndescription = "1 GiB"\nlevel = "read"\noutput = "raw"\nraw_max_bytes = ${2 * GIB}\nexec = ["/bin/cat", "${file}"]\n` +
    `[domains.dl.actions.tiny]\ndescription = "A few bytes"\nlevel = "read"\noutput = "raw"\nexec = ["/bin/echo", "tiny"]\n`, { mode: 0o644 });
  const serving = `${process.execPath} --require ${RSS_REPORTER.path} ${BUNDLE} --config ${config} --level read`;
  const sshd = await SshdHarness.start([
    { name: 'raw', options: `restrict,command="${serving}"` },
    { name: 'cat', options: `restrict,command="/bin/cat ${file}"` },
  ]);
  try {
    const download = (key: string, request: string): Promise<Download> => new Promise((resolve, reject) => {
      const started = process.hrtime.bigint();
      const child = spawn('ssh', sshd.sshArgs(key, request, ['-T', '-n']), { stdio: ['ignore', 'pipe', 'pipe'] });
      let bytes = 0;
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (bytes += chunk.length));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (status) => {
        if (status !== 0) return reject(new Error(`ssh ${key} ${request} failed (${status}): ${stderr}`));
        const peak = /portcullis-bench-rss=(\d+)/.exec(stderr)?.[1];
        resolve({ bytes, seconds: Number(process.hrtime.bigint() - started) / 1e9, peakKb: peak === undefined ? null : Number(peak) });
      });
    });
    await download('raw', 'dl tiny');
    const raw: Download[] = [];
    const cat: Download[] = [];
    const idle: Download[] = [];
    for (let r = 0; r < rounds; r++) {
      const pair = r % 2 === 0 ? [raw, cat] : [cat, raw];
      for (const into of pair) into.push(await download(into === raw ? 'raw' : 'cat', 'dl file'));
      idle.push(await download('raw', 'dl tiny'));
    }
    for (const d of [...raw, ...cat]) if (d.bytes !== GIB) throw new Error(`a download of ${d.bytes} bytes, not 1 GiB`);
    const mibPerSecond = (runs: Download[]): number => median(runs.map((d) => d.bytes / d.seconds / (1024 * 1024)));
    const [rawSpeed, catSpeed] = [mibPerSecond(raw), mibPerSecond(cat)];
    const peak = median(raw.map((d) => d.peakKb ?? NaN));
    const idlePeak = median(idle.map((d) => d.peakKb ?? NaN));
    return {
      rows: [
        row(`raw download through sshd, 1 GiB: portcullis vs command="cat FILE" (${rounds} each)`, rawSpeed, catSpeed, 'MiB/s', '≥ 0.9'),
        row('raw download, 1 GiB: peak RSS of the serving process vs a raw action of 5 bytes', peak, idlePeak, 'KiB', '≤ 1.5'),
        figure('raw download, 1 GiB: median time through sshd', median(raw.map((d) => d.seconds)), 's', 'report'),
      ],
      verdicts: [
        { target: 'raw download ≥ 0.9× the speed of command="cat FILE"', figure: `${round(rawSpeed / catSpeed, 3)}× (${round(rawSpeed)} vs ${round(catSpeed)} MiB/s)`, met: rawSpeed >= 0.9 * catSpeed },
        { target: 'peak RSS during a 1 GiB raw download ≤ 1.5× the idle serve RSS', figure: `${round(peak / idlePeak, 3)}× (${peak} vs ${idlePeak} KiB)`, met: peak <= 1.5 * idlePeak },
      ],
    };
  } finally {
    await sshd.stop();
  }
}
