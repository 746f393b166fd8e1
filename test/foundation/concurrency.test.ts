// The one bounded worker pool (lib/concurrency.ts): never more than `limit` calls in flight, results in
// the items' order, the first failure stops it, an aborted signal starts nothing more.
import { describe, expect, it } from 'vitest';
import { mapWithConcurrency } from '../../lib/concurrency';

const tick = () => new Promise<void>((r) => setImmediate(r));

/** A call that resolves when the test says so, counting how many are in flight at once. */
function gate() {
  const started: number[] = [];
  const release = new Map<number, (v: string) => void>();
  let running = 0;
  let most = 0;
  const fn = (item: number) =>
    new Promise<string>((resolve) => {
      started.push(item);
      running++;
      most = Math.max(most, running);
      release.set(item, (v) => {
        running--;
        resolve(v);
      });
    });
  return { fn, started, release, most: () => most };
}

describe('mapWithConcurrency', () => {
  it('runs at most `limit` at a time, starts in order, and answers in the items’ order', async () => {
    const g = gate();
    const items = [0, 1, 2, 3, 4, 5, 6];
    const done = mapWithConcurrency(items, 3, g.fn);
    await tick();
    expect(g.started).toEqual([0, 1, 2]);
    // The slowest first item does not hold the others up: its lane is busy, the other two go on.
    g.release.get(2)!('c');
    await tick();
    expect(g.started).toEqual([0, 1, 2, 3]);
    for (const i of [1, 3, 4, 5, 6, 0]) {
      await tick();
      g.release.get(i)!(String.fromCharCode(97 + i));
    }
    expect(await done).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(g.most()).toBe(3);
  });

  it('uses one lane for a limit below 1, and no more lanes than items', async () => {
    const g = gate();
    const done = mapWithConcurrency([1, 2], 0, g.fn);
    await tick();
    expect(g.started).toEqual([1]);
    g.release.get(1)!('x');
    await tick();
    g.release.get(2)!('y');
    expect(await done).toEqual(['x', 'y']);
    expect(await mapWithConcurrency([], 8, g.fn)).toEqual([]);
    expect(await mapWithConcurrency([5], 100, async (n, i) => n * 10 + i)).toEqual([50]);
  });

  it('rejects with the first failure and starts no further item', async () => {
    const started: number[] = [];
    const boom = new Error('item 1 failed');
    const done = mapWithConcurrency([0, 1, 2, 3, 4], 2, async (n) => {
      started.push(n);
      await tick();
      if (n === 1) throw boom;
      await tick();
      return n;
    });
    await expect(done).rejects.toBe(boom);
    await new Promise((r) => setTimeout(r, 20));
    // Item 0's lane finished after the failure and took nothing more.
    expect(started).toEqual([0, 1]);
  });

  it('starts nothing once the signal is aborted, and resolves with what finished', async () => {
    const abort = new AbortController();
    const started: number[] = [];
    const results = await mapWithConcurrency(
      [0, 1, 2, 3],
      1,
      async (n) => {
        started.push(n);
        if (n === 1) abort.abort();
        return n;
      },
      { signal: abort.signal },
    );
    expect(started).toEqual([0, 1]);
    expect(results).toEqual([0, 1, undefined, undefined]);
  });
});
