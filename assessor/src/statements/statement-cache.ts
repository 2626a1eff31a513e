/**
 * A bounded map keyed by exact statement text. Applications repeat a small set of statements (SET application_name,
 * the ORM's session setup), so remembering recent answers skips the parser for most of the statements that reach it.
 * Eviction is least-recently-used; both the entry count and the summed key length are bounded, so a log full of
 * unique multi-kilobyte statements cannot grow it without limit.
 */
export class StatementCache<V> {
  readonly #entries = new Map<string, V>();
  #keyChars = 0;

  constructor(
    readonly maxEntries = 10_000,
    readonly maxKeyChars = 8 * 1024 * 1024,
    /** Longer texts are almost always unique: not worth the memory. */
    readonly maxKeyLength = 16 * 1024,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  get(text: string): V | undefined {
    const value = this.#entries.get(text);
    if (value !== undefined) {
      // Re-insert so the Map's insertion order is the recency order.
      this.#entries.delete(text);
      this.#entries.set(text, value);
    }
    return value;
  }

  set(text: string, value: V): void {
    if (text.length > this.maxKeyLength || this.#entries.has(text)) return;
    this.#entries.set(text, value);
    this.#keyChars += text.length;
    while (this.#entries.size > this.maxEntries || this.#keyChars > this.maxKeyChars) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
      this.#keyChars -= oldest.length;
    }
  }
}
