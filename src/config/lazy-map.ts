/**
 * A read-only Map whose values are built on first access. The compiled config keeps each
 * domain as JSON text and parses only the domains a request touches (ADR 0009).
 */
export class LazyMap<V> implements ReadonlyMap<string, V> {
  private readonly builders: Map<string, () => V>;
  private readonly built = new Map<string, V>();

  constructor(entries: Iterable<readonly [string, () => V]>) {
    this.builders = new Map(entries);
  }

  get size(): number {
    return this.builders.size;
  }

  has(key: string): boolean {
    return this.builders.has(key);
  }

  get(key: string): V | undefined {
    const existing = this.built.get(key);
    if (existing !== undefined) return existing;
    const build = this.builders.get(key);
    if (build === undefined) return undefined;
    const value = build();
    this.built.set(key, value);
    return value;
  }

  keys(): MapIterator<string> {
    return this.builders.keys();
  }

  values(): MapIterator<V> {
    return new Map([...this.builders.keys()].map((key) => [key, this.get(key) as V])).values();
  }

  entries(): MapIterator<[string, V]> {
    // INVARIANT: every key has a builder, so get() returns a value.
    return new Map([...this.builders.keys()].map((key) => [key, this.get(key) as V])).entries();
  }

  forEach(callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void): void {
    for (const [key, value] of this.entries()) callback(value, key, this);
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }
}
