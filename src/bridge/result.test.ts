import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TEXT_CAP, toolResult } from './result.js';

describe('tool results (docs/mcp.md "Calls and results")', () => {
  it('structuredContent is the answer, isError is !ok, the text block is its JSON', () => {
    const answer = { v: 1, request_id: 'r', ok: false, error: { code: 'bad_argument', message: 'm' } };
    const result = toolResult({ answer });
    assert.deepEqual([result.structuredContent, result.isError, JSON.parse(result.content[0]!.text)], [answer, true, answer]);
  });

  it('output over 64 KiB is cut to head and tail in the text block only, never inside a surrogate pair', () => {
    const stdout = `${'a'.repeat(TEXT_CAP / 2 - 1)}😀${'b'.repeat(TEXT_CAP)}😀end`;
    const result = toolResult({ answer: { v: 1, request_id: 'r', ok: true, stdout } });
    assert.equal((result.structuredContent as { stdout: string }).stdout, stdout);
    const shown = JSON.parse(result.content[0]!.text).stdout as string;
    assert.ok(shown.length < TEXT_CAP + 200);
    assert.match(shown, /^a+\n\[… \d+ characters cut by the bridge/);
    assert.ok(shown.endsWith('😀end'));
    assert.doesNotMatch(shown, /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/, 'no lone surrogate');
  });

  it('a call with no answer is an error result with no structured content', () => {
    const result = toolResult({ failure: 'host web is unreachable', kind: 'connection' });
    assert.deepEqual([result.isError, result.structuredContent, result.content[0]!.text], [true, undefined, 'portcullis: host web is unreachable']);
  });
});
