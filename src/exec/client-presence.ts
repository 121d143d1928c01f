import { writeSync } from 'node:fs';
import { errorCode } from '../errors.js';

const NOTHING = Buffer.alloc(0);

/**
 * Asks, right before a child starts, whether the client can still receive the answer
 * (docs/protocol.md §7.3): a connection lost mid-upload looks like EOF on stdin. Returns why the
 * client is gone, or null. Two signs, because Node has no poll(2) (ADR 0017):
 * - the parent is no longer the sshd that started us: when the session's sshd exits we are
 *   re-parented. This is the sign that works when sshd hands us pipes (OpenSSH on Linux).
 *   Under sshd a parent of 1 counts too: under load we may start after sshd already exited, and then
 *   the parent we saw at start was never sshd (a subreaper other than pid 1 escapes this);
 * - a zero-length write to the answer descriptor fails with EPIPE: this works when it is a
 *   socket (a socketpair from sshd or a wrapper); Linux answers 0 for a pipe, whatever.
 */
export function clientPresence(parentAtStart: number, underSshd: boolean, answerFd = 1): () => string | null {
  return () => {
    const parent = process.ppid;
    // Outside sshd (a systemd unit, a container init) pid 1 may well be the real parent.
    if (parent !== parentAtStart || (underSshd && parent === 1)) return `client gone: parent ${parentAtStart} exited before the action started`;
    try {
      writeSync(answerFd, NOTHING);
    } catch (error) {
      if (errorCode(error) === 'EPIPE') return 'client gone: the answer channel was closed before the action started';
    }
    return null;
  };
}
