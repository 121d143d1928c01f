import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lineForTurn } from './pool.js';
import type { CallOutcome } from './session-link.js';

describe('MCP-016 a call\'s line is made only at its turn', () => {
  const cancelled: CallOutcome = { failure: 'cancelled', kind: 'cancelled' };

  it('never asks for a proof for a call stopped while it waited', async () => {
    let signed = 0;
    const outcome = await lineForTurn(async () => `signed ${++signed}`, () => cancelled);
    assert.deepEqual([outcome, signed], [cancelled, 0]);
  });

  it('drops a line whose call was stopped while its proof was made', async () => {
    let stop: CallOutcome | null = null;
    const outcome = await lineForTurn(async () => {
      stop = cancelled;
      return 't admin +token=bot';
    }, () => stop);
    assert.deepEqual(outcome, cancelled);
  });

  it('gives the line, or the signer\'s own failure, when nothing stopped the call', async () => {
    assert.equal(await lineForTurn('t echo msg=hi', () => null), 't echo msg=hi');
    const refused: CallOutcome = { failure: 'no key', kind: 'connection' };
    assert.deepEqual(await lineForTurn(async () => refused, () => null), refused);
  });
});
