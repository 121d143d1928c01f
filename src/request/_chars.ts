/** Character classes of the request grammar (docs/protocol.md §3.1, §3.2). */

const BARE_PUNCTUATION = new Set(['-', '_', '.', ',', ':', '/', '@', '%', '+', '=', '^', '~', '#']);
// Built on first use: V8 resolves each \p{…} through ICU when the RegExp is created
// (about 0.6 M instructions each, measured), and an ASCII request never needs them.
let letterOrNumber: RegExp | undefined;
let formatCharacter: RegExp | undefined;

export function isWhitespace(cp: number): boolean {
  return cp === 0x20 || cp === 0x09;
}

/**
 * Why a code point is refused anywhere in a request, or null when it is acceptable.
 * U+FFFD counts as invalid UTF-8: the request reached us through a decoder that
 * substitutes it for bad bytes.
 */
export function forbiddenCharacterReason(cp: number): string | null {
  if (cp === 0xfffd) return 'invalid UTF-8';
  if (cp >= 0xd800 && cp <= 0xdfff) return 'a lone surrogate';
  if ((cp < 0x20 && cp !== 0x09) || cp === 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
    return `control character U+${hex4(cp)}`;
  }
  // Line splitters that honour Unicode cut a logged record here (Zl, Zp).
  if (cp === 0x2028 || cp === 0x2029) return `line or paragraph separator U+${hex4(cp)}`;
  if (cp > 0x7f && (formatCharacter ??= /^\p{Cf}$/u).test(String.fromCodePoint(cp))) {
    return `invisible format character U+${hex4(cp)}`;
  }
  return null;
}

/** True for characters allowed in an unquoted segment. */
export function isBareCharacter(cp: number): boolean {
  if ((cp >= 0x61 && cp <= 0x7a) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x30 && cp <= 0x39)) return true;
  const ch = String.fromCodePoint(cp);
  if (cp < 0x80) return BARE_PUNCTUATION.has(ch);
  return (letterOrNumber ??= /^[\p{L}\p{N}]$/u).test(ch);
}

function hex4(cp: number): string {
  return cp.toString(16).toUpperCase().padStart(4, '0');
}
