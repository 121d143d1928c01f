import type { CallOutcome } from './session-link.js';

/** Above this, stdout and stderr are cut to their head and tail in the text block (docs/mcp.md "Results"). */
export const TEXT_CAP = 64 * 1024;

/** A tool result as MCP carries it. */
export interface ToolResult {
  [key: string]: unknown;
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError: boolean;
}

/**
 * The result of a call: the host's answer as `structuredContent`, one text block with the
 * answer's JSON (long output cut to head and tail), and `isError = !ok`. A call that got no
 * answer (host down, key refused, timeout, cancelled) is an error result with a clear message.
 */
export function toolResult(outcome: CallOutcome): ToolResult {
  if ('failure' in outcome) return errorResult(outcome.failure);
  const answer = outcome.answer;
  const shown: Record<string, unknown> = { ...answer };
  for (const stream of ['stdout', 'stderr']) {
    const text = shown[stream];
    if (typeof text === 'string' && text.length > TEXT_CAP) shown[stream] = headAndTail(text);
  }
  return { content: [{ type: 'text', text: JSON.stringify(shown) }], structuredContent: answer, isError: answer.ok !== true };
}

/** A result for a call that got no answer; no structured content, since there is no answer. */
export function errorResult(message: string): ToolResult {
  return { content: [{ type: 'text', text: `portcullis: ${message}` }], isError: true };
}

function headAndTail(text: string): string {
  const half = TEXT_CAP / 2;
  // Cut on code point boundaries: a lone surrogate would not survive JSON.
  const head = Array.from(text.slice(0, half + 1)).join('').slice(0, half).replace(/[\ud800-\udbff]$/, '');
  const tail = text.slice(-half).replace(/^[\udc00-\udfff]/, '');
  return `${head}\n[… ${text.length - head.length - tail.length} characters cut by the bridge; the whole output is in structuredContent …]\n${tail}`;
}
