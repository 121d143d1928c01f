import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closest, editDistance } from './did-you-mean.js';

describe('did-you-mean (ADR 0020)', () => {
  it('counts edits, and a swap of neighbours as one', () => {
    assert.equal(editDistance('uptime', 'uptime'), 0);
    assert.equal(editDistance('uptim', 'uptime'), 1);
    assert.equal(editDistance('deplyo', 'deploy'), 1);
    assert.equal(editDistance('ls', 'ps'), 1);
    assert.equal(editDistance('', 'abc'), 3);
  });

  it('sends a short word nowhere unless it matches exactly', () => {
    assert.equal(closest('ls', ['ps', 'list']), null);
    assert.equal(closest('ps', ['ps']), 'ps');
  });

  it('tolerates one edit up to six letters and two beyond, ties to the first candidate', () => {
    assert.equal(closest('uptme', ['disk', 'uptime']), 'uptime');
    assert.equal(closest('uptme', ['uptimes', 'uptime']), 'uptime');
    assert.equal(closest('deplyo', ['deploy', 'destroy']), 'deploy');
    assert.equal(closest('rstrat', ['restart']), null);
    assert.equal(closest('restrat', ['restart']), 'restart');
    assert.equal(closest('abcd', ['abce', 'abcf']), 'abce');
  });

  it('matches case-insensitively against lowercase names', () => {
    assert.equal(closest('Uptime', ['uptime']), 'uptime');
  });
});
