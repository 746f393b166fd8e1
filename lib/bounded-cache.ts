// The one cache Ferry's workers keep: a map that forgets its oldest entry when full. What it holds (a worker's
// destination clients, the folders each has found or made, a page's folder listings) only saves round
// trips, so a cleared entry costs a lookup, never a wrong answer. Pure: safe anywhere.

/** Entries a cache holds before it forgets the oldest. */
export const MAX_CACHED = 200;

export class BoundedCache<V> {
  private readonly map = new Map<string, V>();

  constructor(readonly max = MAX_CACHED) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  set(key: string, value: V): void {
    // Insertion order is age. Forgetting only the oldest (not everything) keeps what is in use: a page
    // whose folders outnumber the bound would otherwise lose the listings its next batches need.
    if (this.map.size >= this.max && !this.map.has(key)) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, value);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  /**
   * The value under `key`, else `create()`'s, cached. A promise is cached from the moment it is made, so
   * callers that ask while it is in flight share it (a folder is created once, however many items want
   * it at the same moment); one that rejects is forgotten, and the next caller tries again.
   */
  getOrCreate(key: string, create: () => V): V {
    if (this.map.has(key)) return this.map.get(key)!;
    const value = create();
    this.set(key, value);
    if (value instanceof Promise) {
      value.catch(() => {
        // Only its own entry: the key may hold a newer attempt by now.
        if (this.map.get(key) === value) this.map.delete(key);
      });
    }
    return value;
  }
}
