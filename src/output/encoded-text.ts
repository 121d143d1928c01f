import { escapeSeparators } from './json-line.js';

/** Input bytes per piece of an answer: small enough that a piece costs nothing to hold. */
const PIECE_BYTES = 3 * 256 * 1024;

/**
 * An output field of the answer (docs/protocol.md §7.1), kept as the captured bytes and
 * encoded only when written: JSON.stringify gets the whole text through toJSON, and the
 * one-shot answer takes it in pieces (jsonPieces), so 64 MiB of output never becomes one
 * string of 85 MiB plus its copies (ADR 0029).
 */
export class EncodedText {
  constructor(
    readonly bytes: Buffer,
    readonly encoding: 'utf-8' | 'base64',
  ) {}

  toJSON(): string {
    return this.encoding === 'base64' ? this.bytes.toString('base64') : this.bytes.toString('utf8');
  }

  /** The JSON string of toJSON() without its quotes, in pieces; together they are exactly it. */
  *jsonPieces(): Generator<string> {
    const bytes = this.bytes;
    for (let start = 0; start < bytes.length; ) {
      let end = Math.min(bytes.length, start + PIECE_BYTES);
      // A UTF-8 piece ends on a character boundary: never before a continuation byte.
      if (this.encoding === 'utf-8') while (end < bytes.length && end > start && ((bytes[end] as number) & 0xc0) === 0x80) end--;
      const piece = bytes.subarray(start, end);
      yield this.encoding === 'base64' ? piece.toString('base64') : escapeSeparators(JSON.stringify(piece.toString('utf8')).slice(1, -1));
      start = end;
    }
  }
}

/**
 * A response as one JSON line, in pieces: the same bytes as jsonLine(response) for a flat
 * object whose EncodedText fields are written piece by piece.
 */
export function* jsonLinePieces(response: object): Generator<string> {
  let head = '{';
  let first = true;
  for (const [key, value] of Object.entries(response)) {
    if (value === undefined) continue;
    const comma = first ? '' : ',';
    first = false;
    if (value instanceof EncodedText) {
      yield `${head}${comma}${JSON.stringify(key)}:"`;
      yield* value.jsonPieces();
      head = '"';
    } else {
      head += `${comma}${JSON.stringify(key)}:${escapeSeparators(JSON.stringify(value))}`;
    }
  }
  yield `${head}}\n`;
}
