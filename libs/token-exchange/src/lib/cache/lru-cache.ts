/**
 * A bounded map that forgets the least recently used entry first. Built on `Map`, which keeps
 * insertion order: a read moves the entry to the end, the first key is the oldest.
 */
export class LruCache<V> {
  private readonly entries = new Map<string, V>();
  private evictedCount = 0;

  constructor(readonly maxEntries: number) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`LruCache needs at least one entry, got ${maxEntries}`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** Entries dropped to stay within `maxEntries` (not deletions). */
  get evictions(): number {
    return this.evictedCount;
  }

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  /** Reads without changing the order (for checks that should not count as use). */
  peek(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.evictedCount += 1;
    }
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
