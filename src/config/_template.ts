import { isIdentifier } from '../request/index.js';
import type { Template, TemplatePart } from './types.js';

/** Placeholders every action may use besides its declared arguments (docs/config.md). */
export const BUILTIN_PLACEHOLDERS = ['domain', 'action', 'identity', 'request_id'] as const;

/**
 * Parses `{name}` placeholders; `{{` and `}}` are literal braces. Any other brace is an
 * error, so a typo cannot silently become literal text in an argv.
 */
export function parseTemplate(source: string): { template: Template } | { error: string } {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    const next = source[i + 1];
    if ((ch === '{' && next === '{') || (ch === '}' && next === '}')) {
      literal += ch;
      i += 2;
    } else if (ch === '{') {
      const close = source.indexOf('}', i + 1);
      const name = close < 0 ? '' : source.slice(i + 1, close);
      if (!isIdentifier(name)) {
        return { error: `has a malformed placeholder at offset ${i}; write {{ and }} for literal braces` };
      }
      if (literal) parts.push({ literal });
      literal = '';
      parts.push({ placeholder: name });
      i = close + 1;
    } else if (ch === '}') {
      return { error: `has an unmatched } at offset ${i}; write }} for a literal brace` };
    } else {
      literal += ch;
      i += 1;
    }
  }
  if (literal) parts.push({ literal });
  return { template: { source, parts } };
}

export function placeholdersOf(template: Template): string[] {
  return template.parts.flatMap((part) => ('placeholder' in part ? [part.placeholder] : []));
}
