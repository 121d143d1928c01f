/**
 * SSH wire data (RFC 4251 §5) read with one forward cursor. The first defect ends the read
 * with exactly one reason; nothing is skipped, and the caller says where the data must end.
 */
class WireDefect extends Error {}

export class WireReader {
  private pos = 0;

  constructor(private readonly data: Buffer) {}

  byte(what: string): number {
    return this.bytes(1, what)[0] as number; // INVARIANT: bytes() returned exactly one byte.
  }

  uint32(what: string): number {
    return this.bytes(4, what).readUInt32BE(0);
  }

  bytes(length: number, what: string): Buffer {
    if (length > this.data.length - this.pos) throw new WireDefect(`${what} is cut short`);
    const slice = this.data.subarray(this.pos, this.pos + length);
    this.pos += length;
    return slice;
  }

  /** A length-prefixed string, as bytes. */
  string(what: string): Buffer {
    return this.bytes(this.uint32(`the length of ${what}`), what);
  }

  /** A string that must equal one of `allowed` exactly. */
  oneOf<T extends string>(allowed: readonly T[], what: string): T {
    const text = this.string(what).toString('latin1');
    const found = allowed.find((value) => value === text);
    if (found === undefined) throw new WireDefect(`${what} ${JSON.stringify(text.slice(0, 64))} is not ${allowed.join(' or ')}`);
    return found;
  }

  /** A non-negative mpint in its minimal form; returns its magnitude (no sign byte). */
  mpint(what: string, maxBytes: number): Buffer {
    const raw = this.string(what);
    if (raw.length === 0) throw new WireDefect(`${what} is zero`);
    if (((raw[0] as number) & 0x80) !== 0) throw new WireDefect(`${what} is negative`);
    const magnitude = raw[0] === 0 ? raw.subarray(1) : raw;
    if (raw[0] === 0 && (magnitude.length === 0 || ((magnitude[0] as number) & 0x80) === 0)) throw new WireDefect(`${what} has a needless leading zero`);
    if (magnitude.length > maxBytes) throw new WireDefect(`${what} is longer than ${maxBytes} bytes`);
    return magnitude;
  }

  /** The data must end here: trailing bytes are a defect, never ignored. */
  end(what: string): void {
    if (this.pos !== this.data.length) throw new WireDefect(`${this.data.length - this.pos} trailing bytes after ${what}`);
  }
}

/** Runs one read over `data`; a defect becomes `{ error }` with its one reason. */
export function readWire<T>(data: Buffer, read: (reader: WireReader) => T): T | { error: string } {
  try {
    return read(new WireReader(data));
  } catch (error) {
    if (error instanceof WireDefect) return { error: error.message };
    throw error;
  }
}

/** Throws the defect that readWire reports; for checks beyond the wire layout. */
export function wireDefect(reason: string): never {
  throw new WireDefect(reason);
}
