import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProcessAbort } from '../exec/index.js';
import { AbortGrace } from './abort-grace.js';

describe('AbortGrace: waits bounded by the abort, nothing kept after they settle', () => {
  it('a settled wait is forgotten: 10,000 writes leave no waiter behind', async () => {
    const grace = new AbortGrace(new ProcessAbort(), 10);
    for (let i = 0; i < 10_000; i++) assert.equal(await grace.within(Promise.resolve(), 1000), true);
    assert.equal(grace.pending, 0);
  });

  it('a wait that never settles ends the grace after the abort, not before', async () => {
    const abort = new ProcessAbort();
    const grace = new AbortGrace(abort, 20);
    let settled = false;
    const waiting = grace.within(new Promise<void>(() => {})).then(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.equal(settled, false, 'no abort, no end to the wait');
    const abortedAt = Date.now();
    abort.abort();
    await waiting;
    assert.ok(Date.now() - abortedAt >= 15, 'the grace was given');
    assert.equal(grace.pending, 0);
  });

  it('a wait longer than its own limit is cut, without an abort', async () => {
    const grace = new AbortGrace(new ProcessAbort(), 10_000);
    const started = Date.now();
    assert.equal(await grace.within(new Promise<void>(() => {}), 30), false);
    assert.ok(Date.now() - started >= 25);
    assert.equal(grace.pending, 0);
  });

  it('after the grace, further waits settle at once', async () => {
    const abort = new ProcessAbort();
    abort.abort();
    const grace = new AbortGrace(abort, 1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(await grace.within(new Promise<void>(() => {})), false);
    assert.equal(grace.pending, 0);
  });
});
