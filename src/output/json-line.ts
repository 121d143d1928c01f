const SEPARATORS = /[\u2028\u2029]/g;

/**
 * One value as one JSON line, the only way Portcullis writes JSON (docs/protocol.md §3.1).
 * JSON.stringify escapes every control character but leaves U+2028/U+2029 raw, and line
 * splitters that honour Unicode (JavaScript's own, many log shippers) would cut the record
 * there. Both can only occur inside a JSON string, where `\u2028`/`\u2029` mean the same.
 */
export function jsonLine(value: unknown): string {
  return `${escapeSeparators(JSON.stringify(value))}\n`;
}

/** JSON text with U+2028/U+2029 written as escapes: same value, no Unicode line break. */
export function escapeSeparators(json: string): string {
  return json.replace(SEPARATORS, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'));
}
