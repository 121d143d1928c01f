/**
 * Quotes a value so that the request grammar reads it back unchanged (the inverse of
 * docs/protocol.md §3.2 quoting). Values holding characters §3.1 refuses cannot be quoted at all.
 */
export function quoteValue(value: string): string {
  if (!value.includes("'")) return `'${value}'`;
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
