/**
 * The MCP bridge (docs/mcp.md) through a real loopback sshd: a tool call over a warm session
 * against the same request over a raw session, a new ssh connection, and ControlMaster; and
 * the bridge's start-up until its first tools/list is answered.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { connectBridge, startMcpHost } from '../testkit/mcp-bridge.js';
import { PipeSessionClient } from '../testkit/session-pipe.js';
import { figure, median, round, row, type Row, type Verdict } from './table.js';

const REQUEST = 't echo msg=bench';

export async function throughTheBridge(rounds: number, perRound: number): Promise<{ rows: Row[]; verdicts: Verdict[] }> {
  const host = await startMcpHost();
  const controlPath = join(host.sshd.dir, 'cm-%r@%h:%p');
  const multiplexed = ['-o', 'ControlMaster=auto', '-o', `ControlPath=${controlPath}`, '-o', 'ControlPersist=60'];
  const bridge = await connectBridge(host, host.bridgeConfig('sessions = 1'));
  const raw = (await PipeSessionClient.open(spawn('ssh', host.sshd.sshArgs('agent', 'session', ['-T']), { stdio: ['pipe', 'pipe', 'inherit'] }))).client;
  try {
    const toolCall = async (): Promise<number> => {
      const started = process.hrtime.bigint();
      const result = (await bridge.client.callTool({ name: 't_echo', arguments: { msg: 'bench' } })) as { isError?: boolean };
      if (result.isError === true) throw new Error(`tool call failed: ${JSON.stringify(result)}`);
      return msSince(started);
    };
    const rawCall = async (id: string): Promise<number> => {
      const started = process.hrtime.bigint();
      await raw.request(id, REQUEST);
      return msSince(started);
    };
    const oneShot = async (extra: readonly string[]): Promise<number> => {
      const started = process.hrtime.bigint();
      const result = await host.sshd.ssh('agent', REQUEST, { extraArgs: extra });
      if (result.status !== 0) throw new Error(`ssh failed: ${result.stderr}`);
      return msSince(started);
    };
    for (let i = 0; i < 5; i++) {
      await toolCall();
      await rawCall(`w${i}`);
    }
    await oneShot(multiplexed);
    const tool: number[] = [];
    const session: number[] = [];
    const fresh: number[] = [];
    const mux: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < perRound; k++) {
        if ((r + k) % 2 === 0) {
          tool.push(await toolCall());
          session.push(await rawCall(`r${r}.${k}`));
        } else {
          session.push(await rawCall(`r${r}.${k}`));
          tool.push(await toolCall());
        }
      }
      fresh.push(await oneShot([]));
      mux.push(await oneShot(multiplexed));
    }
    const starts: number[] = [];
    for (let i = 0; i < Math.max(3, Math.min(10, rounds / 2)); i++) {
      const started = process.hrtime.bigint();
      const cold = await connectBridge(host, host.bridgeConfig());
      await cold.client.listTools();
      starts.push(msSince(started));
      await cold.client.close();
    }
    const [toolMs, sessionMs, freshMs, muxMs, startMs] = [median(tool), median(session), median(fresh), median(mux), median(starts)];
    return {
      rows: [
        row('MCP tool call over a warm session vs the same request over a raw session (sshd)', toolMs, sessionMs, 'ms', 'ours ≤ raw + 5 ms'),
        row('one-shot ssh, new connection, vs MCP tool call (ms per call)', freshMs, toolMs, 'ms', 'report'),
        row('one-shot ssh over ControlMaster vs MCP tool call (ms per call)', muxMs, toolMs, 'ms', 'report'),
        figure('MCP bridge start: spawn until the first tools/list is answered (1 host)', startMs, 'ms', '< 1000 ms'),
      ],
      verdicts: [
        { target: 'median MCP tool call ≤ 5 ms over the same request through sshd', figure: `${round(toolMs, 2)} ms vs ${round(sessionMs, 2)} ms (+${round(toolMs - sessionMs, 2)} ms)`, met: toolMs <= sessionMs + 5 },
        { target: 'MCP bridge start (first tools/list) < 1 s per host', figure: `${round(startMs, 0)} ms`, met: startMs < 1000 },
      ],
    };
  } finally {
    raw.kill();
    await bridge.client.close();
    spawn('ssh', ['-o', `ControlPath=${controlPath}`, '-O', 'exit', 'x'], { stdio: 'ignore' });
    await host.stop();
  }
}

function msSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}

if (require.main === module) {
  void throughTheBridge(Number(process.env.BENCH_RUNS) || 20, 10).then(({ rows, verdicts }) => {
    for (const r of rows) console.log(JSON.stringify(r));
    for (const v of verdicts) console.log(JSON.stringify(v));
  });
}
