// The one cache of the workers (lib/bounded-cache.ts): a destination's folders, the engine's clients and
// a page's listings. It forgets its oldest entry when full, shares what is in flight, and forgets a failure.
import { describe, expect, it } from 'vitest';
import { BoundedCache, MAX_CACHED } from '../../lib/bounded-cache';

describe('BoundedCache', () => {
  it('holds 200 entries, then forgets the oldest', () => {
    expect(MAX_CACHED).toBe(200);
    const cache = new BoundedCache<number>();
    for (let i = 0; i < 200; i++) cache.set(`k${i}`, i);
    expect(cache.size).toBe(200);
    cache.set('k0', -1);
    expect(cache.size).toBe(200);
    cache.set('k200', 200);
    expect(cache.size).toBe(200);
    expect(cache.get('k0')).toBeUndefined();
    expect(cache.get('k1')).toBe(1);
    expect(cache.get('k200')).toBe(200);
  });

  it('creates a value once and gives it to every later caller', () => {
    const cache = new BoundedCache<{ n: number }>(2);
    let made = 0;
    const make = () => ({ n: ++made });
    const first = cache.getOrCreate('a', make);
    expect(cache.getOrCreate('a', make)).toBe(first);
    expect(made).toBe(1);
  });

  it('shares a creation still in flight: concurrent callers get one promise, one creation', async () => {
    const cache = new BoundedCache<Promise<string>>();
    let creations = 0;
    let finish!: (v: string) => void;
    const create = () => {
      creations++;
      return new Promise<string>((r) => (finish = r));
    };
    const callers = [cache.getOrCreate('Album', create), cache.getOrCreate('Album', create)];
    expect(callers[0]).toBe(callers[1]);
    finish('folder-id');
    expect(await Promise.all(callers)).toEqual(['folder-id', 'folder-id']);
    expect(await cache.getOrCreate('Album', create)).toBe('folder-id');
    expect(creations).toBe(1);
  });

  it('forgets a creation that failed, so that the next caller tries again', async () => {
    const cache = new BoundedCache<Promise<string>>();
    let creations = 0;
    const failing = cache.getOrCreate('Album', () => (creations++, Promise.reject(new Error('503'))));
    await expect(failing).rejects.toThrow('503');
    await Promise.resolve();
    expect(cache.get('Album')).toBeUndefined();
    expect(await cache.getOrCreate('Album', () => (creations++, Promise.resolve('made')))).toBe('made');
    expect(creations).toBe(2);
  });

  it('lets a failure forget only its own entry, never a newer one under the same key', async () => {
    const cache = new BoundedCache<Promise<string>>(1);
    let fail!: (e: Error) => void;
    const old = cache.getOrCreate('a', () => new Promise<string>((_, reject) => (fail = reject)));
    old.catch(() => undefined);
    void cache.getOrCreate('b', () => Promise.resolve('b')); // full: starts over
    const newer = cache.getOrCreate('a', () => Promise.resolve('a again'));
    fail(new Error('the old creation failed late'));
    await new Promise((r) => setImmediate(r));
    expect(cache.get('a')).toBe(newer);
  });
});
