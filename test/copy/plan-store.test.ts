import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createPool } from '../../lib/db';
import type { CopyPlanItem } from '../../lib/jobs/copy-to-cloud';
import { PlanStore, destinationKey } from '../../activities/copy/plan-store';
import { assertFetchable } from '../../activities/copy/url-guard';

const pool = createPool(inject('databaseUrl'));
afterAll(() => pool.end());

async function* generate(n: number): AsyncIterable<CopyPlanItem> {
  for (let i = 0; i < n; i++) {
    yield {
      key: `k${i}`,
      relPath: `a/${i}.jpg`,
      sourceUrl: `https://x.test/${i}`,
      size: i,
      md5: i % 2 ? 'AB' : undefined,
    };
  }
}

describe('PlanStore', () => {
  it('saves a large plan by streaming, pages it in order, and replaces it on a second save', async () => {
    const store = new PlanStore(pool);
    const planId = `plan-${randomUUID()}`;
    const ref = await store.save(planId, generate(2500));
    expect(ref).toEqual({ planId, total: 2500, totalBytes: (2499 * 2500) / 2 });
    const page = await store.page(planId, 999, 3);
    expect(page.map((i) => i.key)).toEqual(['k999', 'k1000', 'k1001']);
    expect(page[0]).toEqual({
      key: 'k999',
      relPath: 'a/999.jpg',
      sourceUrl: 'https://x.test/999',
      size: 999,
      md5: 'ab',
    });
    expect(await store.page(planId, 2499, 10)).toHaveLength(1);

    const again = await store.save(planId, [
      { key: 'only', relPath: 'o.jpg', sourceUrl: 'https://x.test/o', publiclyFetchable: true },
    ]);
    expect(again.total).toBe(1);
    expect(await store.page(planId, 0, 10)).toEqual([
      { key: 'only', relPath: 'o.jpg', sourceUrl: 'https://x.test/o', publiclyFetchable: true },
    ]);
    expect(await store.ref(planId)).toEqual({ planId, total: 1, totalBytes: 0 });
  });

  it('keeps the latest result per item and filters the report by status', async () => {
    const store = new PlanStore(pool);
    const planId = `plan-${randomUUID()}`;
    const dest = destinationKey({ cloud: 'yadisk', rootFolder: '/Photos/' });
    expect(dest).toBe('yadisk:Photos');
    await store.record(planId, dest, 1, {
      key: 'b',
      relPath: 'b',
      status: 'failed',
      bytes: 0,
      error: { type: 'X', message: 'boom' },
    });
    await store.record(planId, dest, 0, {
      key: 'a',
      relPath: 'a',
      status: 'copied',
      bytes: 5,
      md5: 'm',
      destinationId: 'id1',
    });
    await store.record(planId, dest, 1, { key: 'b', relPath: 'b', status: 'copied', bytes: 7 });
    const all = await store.results(planId, dest, { offset: 0, limit: 10 });
    expect(all.map((r) => [r.key, r.status, r.bytes])).toEqual([
      ['a', 'copied', 5],
      ['b', 'copied', 7],
    ]);
    expect(all[1]?.error).toBeUndefined();
    expect(await store.results(planId, dest, { offset: 0, limit: 10, status: 'failed' })).toEqual([]);
  });
});

describe('assertFetchable', () => {
  it('rejects private addresses, plain http and other hosts unless allowed', async () => {
    await expect(assertFetchable('http://127.0.0.1:1/x')).rejects.toMatchObject({
      type: 'ForbiddenTarget',
      nonRetryable: true,
    });
    await expect(assertFetchable('https://127.0.0.1/x')).rejects.toThrow(/private or reserved/);
    await expect(assertFetchable('https://[::ffff:169.254.169.254]/x')).rejects.toThrow(/private or reserved/);
    await expect(assertFetchable('https://10.1.2.3/x')).rejects.toThrow(/private/);
    await expect(assertFetchable('https://[fd00::1]/x')).rejects.toThrow(/private/);
    await expect(assertFetchable('https://8.8.8.8/x', { allowedHosts: ['example.com'] })).rejects.toThrow(
      /not in the allowed/,
    );
    await expect(assertFetchable('https://localhost/x')).rejects.toThrow(/private or reserved/);
    await expect(assertFetchable('ftp://8.8.8.8/x')).rejects.toThrow(/not allowed/);
    expect((await assertFetchable('https://8.8.8.8/x')).host).toBe('8.8.8.8');
    expect(
      (
        await assertFetchable('https://up-d.lite.gallery/x', {
          allowedHosts: ['lite.gallery'],
          allowPrivateNetwork: true,
        })
      ).host,
    ).toBe('up-d.lite.gallery');
    expect((await assertFetchable('http://127.0.0.1:9/x', { allowPrivateNetwork: true })).port).toBe('9');
  });
});
