// The one bounded worker pool: `limit` lanes pulling the next item from a shared cursor, so a slow
// item never holds up the others and at most `limit` calls are in flight. Pure: safe anywhere.

export interface PoolOptions {
  /** Once aborted, no further item is started; the call resolves with what finished (the caller decides what a stop means). */
  signal?: AbortSignal;
}

/**
 * `fn` over `items`, at most `limit` at a time, started in the items' order; resolves with the results
 * in that order (a hole where an item never started). The first failure rejects at once and starts no
 * further item; those already running finish on their own.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  options: PoolOptions = {},
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (next < items.length && !failed && !options.signal?.aborted) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const width = Math.min(Math.max(1, Math.floor(limit) || 1), items.length);
  await Promise.all(Array.from({ length: width }, lane));
  return results;
}
