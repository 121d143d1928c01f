import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessAbort } from './abort-watch.js';

describe('ProcessAbort', () => {
  it('runs every listener once, even after one throws, then rethrows the first error', () => {
    const abort = new ProcessAbort();
    const calls: string[] = [];
    abort.addEventListener('abort', () => calls.push('a'));
    abort.addEventListener('abort', () => {
      calls.push('b');
      throw new Error('first');
    });
    abort.addEventListener('abort', () => {
      calls.push('c');
      throw new Error('second');
    });
    abort.addEventListener('abort', () => calls.push('d'));
    assert.throws(() => abort.abort(), /first/);
    assert.deepEqual(calls, ['a', 'b', 'c', 'd']);
    assert.equal(abort.aborted, true);
    abort.abort();
    assert.deepEqual(calls, ['a', 'b', 'c', 'd'], 'a second abort fires nothing');
  });

  it('does not call a removed listener, nor one added after the abort', () => {
    const abort = new ProcessAbort();
    const calls: string[] = [];
    const removed = (): void => void calls.push('removed');
    abort.addEventListener('abort', removed);
    abort.removeEventListener('abort', removed);
    abort.abort();
    abort.addEventListener('abort', () => calls.push('late'));
    assert.deepEqual(calls, []);
  });
});
