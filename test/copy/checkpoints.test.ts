// The durable upload checkpoints (activities/copy/checkpoints.ts) in the run's PostgreSQL: the session
// URI sealed at rest, the resume count, one write per confirmed chunk at most, and the row gone once the
// item's outcome is recorded.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { CheckpointStore, MAX_RESUMES, type CheckpointRef } from '../../activities/copy/checkpoints';
import { PlanStore } from '../../activities/copy/plan-store';
import { createPool, type Pool } from '../../lib/db';

const pool = createPool(inject('databaseUrl'));
afterAll(() => pool.end());
const key = () => randomBytes(32);
const SESSION = 'https://www.googleapis.com/upload/drive/v3/files?uploadType=resumable&upload_id=ABsecretUploadId';

async function plannedItem(n = 1): Promise<CheckpointRef[]> {
  const planId = `cp-${randomUUID()}`;
  await new PlanStore(pool).save(
    planId,
    Array.from({ length: n }, (_, i) => ({ key: `k${i}`, relPath: `a/${i}.bin`, sourceUrl: `https://x.test/${i}` })),
  );
  return Array.from({ length: n }, (_, i) => ({ planId, destinationKey: 'google_drive:Ferry', seq: i, key: `k${i}` }));
}

/** The pool, counting the statements that reach it. */
function counting(p: Pool) {
  const counted = { statements: 0 };
  const wrapped = new Proxy(p, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver) as unknown;
      return (...args: unknown[]) => {
        counted.statements++;
        return (target.query as (...a: unknown[]) => unknown)(...args);
      };
    },
  });
  return Object.assign(counted, { pool: wrapped });
}

describe('upload checkpoints', () => {
  it('keep the session URI sealed at rest and give it back to the next attempt, with the name', async () => {
    const [ref] = await plannedItem();
    const keys = [key()];
    const store = new CheckpointStore(pool, keys);
    await store.save(ref!, 'photo (2).jpg', { sessionUri: SESSION, confirmedOffset: 0, total: 9 * 1024 * 1024 });
    await store.confirm(ref!, 4 * 1024 * 1024, 9 * 1024 * 1024);

    const { rows } = await pool.query<{ whole: string }>(
      `select row_to_json(c)::text as whole from copy_upload_checkpoints c where plan_id = $1`,
      [ref!.planId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.whole).not.toContain('ABsecretUploadId');
    expect(rows[0]!.whole).not.toContain(Buffer.from('ABsecretUploadId').toString('hex'));

    expect(await store.load(ref!)).toEqual({
      name: 'photo (2).jpg',
      checkpoint: { sessionUri: SESSION, confirmedOffset: 4 * 1024 * 1024, total: 9 * 1024 * 1024 },
    });
    // Another item of the plan, or the same position in a plan saved again with other items, has none.
    expect(await store.load({ ...ref!, key: 'other' })).toBeUndefined();
    // A key no longer configured costs the session, not the name.
    expect(await new CheckpointStore(pool, [key()]).load(ref!)).toEqual({ name: 'photo (2).jpg' });
  });

  it('abandon a session that keeps failing without progress, and count again after progress', async () => {
    const [ref] = await plannedItem();
    const store = new CheckpointStore(pool, [key()]);
    await store.save(ref!, 'big.bin', { sessionUri: SESSION, confirmedOffset: 0, total: 100 });
    // Resumed once, then the session made progress.
    for (let i = 1; i < MAX_RESUMES; i++) expect((await store.load(ref!))?.checkpoint).toBeDefined();
    await store.confirm(ref!, 50, 100);
    for (let i = 1; i <= MAX_RESUMES; i++) expect((await store.load(ref!))?.checkpoint).toBeDefined();
    // The same offset again (a status query after a resume) is no progress.
    await store.confirm(ref!, 50, 100);
    expect(await store.load(ref!)).toEqual({ name: 'big.bin' });
    // A fresh session starts the count over.
    await store.save(ref!, 'big.bin', { sessionUri: `${SESSION}2`, confirmedOffset: 0, total: 100 });
    expect((await store.load(ref!))?.checkpoint?.sessionUri).toBe(`${SESSION}2`);
  });

  it('write a new session before the adapter goes on, and at most one row update per confirmed chunk', async () => {
    const [ref] = await plannedItem();
    const counted = counting(pool);
    const item = new CheckpointStore(counted.pool, [key()]).forItem(ref!);
    expect(await item.load()).toBeUndefined();
    const before = counted.statements;
    await item.update('big.bin', { sessionUri: SESSION, confirmedOffset: 0, total: 64 });
    expect(counted.statements - before).toBe(1);
    expect((await new CheckpointStore(pool, [key()]).load(ref!))?.name).toBe('big.bin');

    // 64 chunks confirmed faster than PostgreSQL answers: coalesced, the newest written last.
    const writes = counted.statements;
    for (let i = 1; i <= 64; i++) void item.update('big.bin', { sessionUri: SESSION, confirmedOffset: i, total: 64 });
    const offsetOf = async () =>
      (
        await pool.query<{ o: string }>(
          'select confirmed_offset as o from copy_upload_checkpoints where plan_id = $1',
          [ref!.planId],
        )
      ).rows[0]?.o;
    for (let tries = 0; (await offsetOf()) !== '64' && tries < 200; tries++)
      await new Promise((r) => setTimeout(r, 10));
    expect(await offsetOf()).toBe('64');
    const offsets = counted.statements - writes;
    expect(offsets).toBeGreaterThanOrEqual(1);
    expect(offsets).toBeLessThan(64);
    await item.clear();
    const { rows } = await pool.query('select 1 from copy_upload_checkpoints where plan_id = $1', [ref!.planId]);
    expect(rows).toHaveLength(0);
  });

  it("of a batch are read in one statement, each item's own and counted as a resume", async () => {
    const refs = await plannedItem(4);
    const keys = [key()];
    const store = new CheckpointStore(pool, keys);
    await store.save(refs[1]!, '1.bin', { sessionUri: SESSION, confirmedOffset: 8, total: 16 });
    await store.save(refs[3]!, '3.bin', { sessionUri: `${SESSION}3`, confirmedOffset: 0, total: 16 });
    const counted = counting(pool);
    const batchStore = new CheckpointStore(counted.pool, keys);
    // Position 3 holds another item's row (the plan was saved again with other items): not this one's.
    const items = refs.map(({ seq, key: k }) => ({ seq, key: seq === 3 ? 'another item' : k }));
    const loaded = await batchStore.loadMany(refs[0]!.planId, 'google_drive:Ferry', items);
    expect(counted.statements).toBe(1);
    expect([...loaded.keys()]).toEqual([1]);
    expect(loaded.get(1)).toEqual({
      name: '1.bin',
      checkpoint: { sessionUri: SESSION, confirmedOffset: 8, total: 16 },
    });
    // An item given what the batch read asks PostgreSQL nothing more.
    const item = batchStore.forItem(refs[1]!, undefined, { stored: loaded.get(1) });
    expect((await item.load())?.name).toBe('1.bin');
    expect(counted.statements).toBe(1);
    // The batch's read counted as a resume, as load() does: after MAX_RESUMES in all the session is given up.
    for (let i = 1; i < MAX_RESUMES; i++) expect((await store.load(refs[1]!))?.checkpoint).toBeDefined();
    expect(await store.load(refs[1]!)).toEqual({ name: '1.bin' });
  });

  it('are deleted with the outcome that ends them, one item or a batch', async () => {
    const refs = await plannedItem(3);
    const store = new CheckpointStore(pool, [key()]);
    for (const ref of refs)
      await store.save(ref, `${ref.seq}.bin`, { sessionUri: SESSION, confirmedOffset: 0, total: 1 });
    const plans = new PlanStore(pool);
    const result = (seq: number) => ({ key: `k${seq}`, relPath: `a/${seq}.bin`, status: 'copied' as const, bytes: 1 });
    await plans.record(refs[0]!.planId, 'google_drive:Ferry', 0, result(0));
    await plans.recordMany(refs[0]!.planId, 'google_drive:Ferry', [{ seq: 2, result: result(2) }]);
    const { rows } = await pool.query<{ seq: number }>(
      'select seq from copy_upload_checkpoints where plan_id = $1 order by seq',
      [refs[0]!.planId],
    );
    expect(rows.map((r) => r.seq)).toEqual([1]);
    // Saving the plan again under its id drops what belonged to the old items.
    await plans.save(refs[0]!.planId, [{ key: 'new', relPath: 'n.bin', sourceUrl: 'https://x.test/n' }]);
    const after = await pool.query('select 1 from copy_upload_checkpoints where plan_id = $1', [refs[0]!.planId]);
    expect(after.rows).toHaveLength(0);
  });
});
