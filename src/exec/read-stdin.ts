import type { Readable } from 'node:stream';
import type { AbortWatch } from './abort-watch.js';

export type StdinResult =
  | { readonly kind: 'data'; readonly data: Buffer }
  | { readonly kind: 'too-large' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'aborted' };

/**
 * Reads the caller's stdin to EOF before anything runs (docs/protocol.md §7.3), stopping at the
 * first byte past `maxBytes`, at the deadline, or on abort.
 */
export function readBoundedStdin(stream: Readable, maxBytes: number, timeoutMs: number, abort: AbortWatch): Promise<StdinResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: StdinResult): void => {
      clearTimeout(timer);
      abort.removeEventListener('abort', onAbort);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      // Stays for good: an error after we stopped reading must not crash us.
      stream.on('error', () => undefined);
      stream.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) finish({ kind: 'too-large' });
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish({ kind: 'data', data: Buffer.concat(chunks, size) });
    const onAbort = (): void => finish({ kind: 'aborted' });
    // A broken input must not run the action with part of it.
    const onError = onAbort;
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    if (abort.aborted) return finish({ kind: 'aborted' });
    abort.addEventListener('abort', onAbort);
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
}
