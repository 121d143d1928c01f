import type { ChildProcess } from 'node:child_process';
import { nodeChildProcess } from '../builtins.js';

/**
 * If Portcullis itself is killed with SIGKILL, it cannot stop the action's process group,
 * and Node cannot set PR_SET_PDEATHSIG. A tiny watchdog in its own group holds a pipe from
 * us: when we die, the pipe closes and it kills the group; when we finish normally, we
 * tell it "done" and it exits without killing anything (so a reused group id is safe).
 */
const SCRIPT = 'read -r state; [ "$state" = done ] || kill -s KILL -- "-$1"';

export class GroupWatchdog {
  private constructor(private readonly process: ChildProcess) {}

  static start(groupId: number): GroupWatchdog | null {
    try {
      const child = nodeChildProcess().spawn('/bin/sh', ['-c', SCRIPT, 'portcullis-watchdog', String(groupId)], {
        detached: true,
        stdio: ['pipe', 'ignore', 'ignore'],
        env: { PATH: '/usr/bin:/bin' },
      });
      child.on('error', () => undefined);
      child.stdin?.on('error', () => undefined);
      child.unref();
      return new GroupWatchdog(child);
    } catch {
      return null;
    }
  }

  /** The action ended normally: release the watchdog without killing anything. */
  release(): void {
    this.process.stdin?.end('done\n');
  }
}
