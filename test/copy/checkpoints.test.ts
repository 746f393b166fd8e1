// The durable upload checkpoints (activities/copy/checkpoints.ts) in the run's PostgreSQL: the session
// URI sealed at rest, the resume count, one write per confirmed chunk at most, the row gone once the
// item's outcome is recorded, and each destination's case of the checkpoint in the rows' one format.
import { randomBytes, randomUUID } from 'node:crypto';
import { METADATA_ENCODING_KEY } from '@temporalio/common';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { UploadCheckpoint } from '../../activities/clouds/destination';
import { CheckpointStore, MAX_RESUMES, type CheckpointRef } from '../../activities/copy/checkpoints';
import { PlanStore } from '../../activities/copy/plan-store';
import { AesGcmCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../lib/codec';
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

/** The plan's stored offset once it reaches `expected` (queued writes land later), or what it is after 2 s. */
async function confirmedOffset(planId: string, expected: number): Promise<string | undefined> {
  const read = async () =>
    (
      await pool.query<{ o: string }>('select confirmed_offset as o from copy_upload_checkpoints where plan_id = $1', [
        planId,
      ])
    ).rows[0]?.o;
  for (let tries = 0; tries < 200; tries++) {
    if ((await read()) === String(expected)) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  return read();
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
    await store.save(ref!, 'photo (2).jpg', {
      kind: 'drive',
      sessionUri: SESSION,
      confirmedOffset: 0,
      total: 9 * 1024 * 1024,
    });
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
      checkpoint: { kind: 'drive', sessionUri: SESSION, confirmedOffset: 4 * 1024 * 1024, total: 9 * 1024 * 1024 },
    });
    // Another item of the plan, or the same position in a plan saved again with other items, has none.
    expect(await store.load({ ...ref!, key: 'other' })).toBeUndefined();
    // A key no longer configured costs the session, not the name.
    expect(await new CheckpointStore(pool, [key()]).load(ref!)).toEqual({ name: 'photo (2).jpg' });
  });

  it('abandon a session that keeps failing without progress, and count again after progress', async () => {
    const [ref] = await plannedItem();
    const store = new CheckpointStore(pool, [key()]);
    await store.save(ref!, 'big.bin', { kind: 'drive', sessionUri: SESSION, confirmedOffset: 0, total: 100 });
    // Resumed once, then the session made progress.
    for (let i = 1; i < MAX_RESUMES; i++) expect((await store.load(ref!))?.checkpoint).toBeDefined();
    await store.confirm(ref!, 50, 100);
    for (let i = 1; i <= MAX_RESUMES; i++) expect((await store.load(ref!))?.checkpoint).toBeDefined();
    // The same offset again (a status query after a resume) is no progress.
    await store.confirm(ref!, 50, 100);
    expect(await store.load(ref!)).toEqual({ name: 'big.bin' });
    // A fresh session starts the count over.
    await store.save(ref!, 'big.bin', { kind: 'drive', sessionUri: `${SESSION}2`, confirmedOffset: 0, total: 100 });
    expect((await store.load(ref!))?.checkpoint).toMatchObject({ kind: 'drive', sessionUri: `${SESSION}2` });
  });

  it('write a new session before the adapter goes on, and at most one row update per confirmed chunk', async () => {
    const [ref] = await plannedItem();
    const counted = counting(pool);
    const item = new CheckpointStore(counted.pool, [key()]).forItem(ref!);
    expect(await item.load()).toBeUndefined();
    const before = counted.statements;
    await item.update('big.bin', { kind: 'drive', sessionUri: SESSION, confirmedOffset: 0, total: 64 });
    expect(counted.statements - before).toBe(1);
    expect((await new CheckpointStore(pool, [key()]).load(ref!))?.name).toBe('big.bin');

    // 64 chunks confirmed faster than PostgreSQL answers: coalesced, the newest written last.
    const writes = counted.statements;
    for (let i = 1; i <= 64; i++)
      void item.update('big.bin', { kind: 'drive', sessionUri: SESSION, confirmedOffset: i, total: 64 });
    expect(await confirmedOffset(ref!.planId, 64)).toBe('64');
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
    await store.save(refs[1]!, '1.bin', { kind: 'drive', sessionUri: SESSION, confirmedOffset: 8, total: 16 });
    await store.save(refs[3]!, '3.bin', { kind: 'drive', sessionUri: `${SESSION}3`, confirmedOffset: 0, total: 16 });
    const counted = counting(pool);
    const batchStore = new CheckpointStore(counted.pool, keys);
    // Position 3 holds another item's row (the plan was saved again with other items): not this one's.
    const items = refs.map(({ seq, key: k }) => ({ seq, key: seq === 3 ? 'another item' : k }));
    const loaded = await batchStore.loadMany(refs[0]!.planId, 'google_drive:Ferry', items);
    expect(counted.statements).toBe(1);
    expect([...loaded.keys()]).toEqual([1]);
    expect(loaded.get(1)).toEqual({
      name: '1.bin',
      checkpoint: { kind: 'drive', sessionUri: SESSION, confirmedOffset: 8, total: 16 },
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
      await store.save(ref, `${ref.seq}.bin`, { kind: 'drive', sessionUri: SESSION, confirmedOffset: 0, total: 1 });
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

  // The sealed session text is what the rows held before checkpoints had a kind: Drive's session URI,
  // Yandex's `yadisk-operation:<id>` (an upload link's PUT) or `yadisk-fetch:<id>` (an upload from URL).
  const EARLIER_ROWS: Array<{ session: string; offset: number; total: number | null; checkpoint: UploadCheckpoint }> = [
    {
      session: SESSION,
      offset: 512,
      total: 1024,
      checkpoint: { kind: 'drive', sessionUri: SESSION, confirmedOffset: 512, total: 1024 },
    },
    {
      session: 'yadisk-operation:d80c269ce4eb16c0207f0a15t',
      offset: 3000,
      total: 3000,
      checkpoint: {
        kind: 'yandex',
        operation: 'upload',
        operationId: 'd80c269ce4eb16c0207f0a15t',
        confirmedOffset: 3000,
        total: 3000,
      },
    },
    {
      session: 'yadisk-fetch:e91d37',
      offset: 0,
      total: null,
      checkpoint: { kind: 'yandex', operation: 'fetch', operationId: 'e91d37', confirmedOffset: 0, total: 0 },
    },
  ];

  it("read the rows an earlier release wrote, each as its destination's case", async () => {
    const refs = await plannedItem(EARLIER_ROWS.length);
    const keys = [key()];
    const codec = new AesGcmCodec(keys);
    for (const [i, row] of EARLIER_ROWS.entries()) {
      // As the earlier CheckpointStore.save sealed and stored it.
      const [sealed] = await codec.encode([{ metadata: {}, data: new TextEncoder().encode(row.session) }]);
      await pool.query(
        `insert into copy_upload_checkpoints
           (plan_id, destination_key, seq, item_key, name, session_key_id, session, confirmed_offset, total)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          refs[i]!.planId,
          refs[i]!.destinationKey,
          refs[i]!.seq,
          refs[i]!.key,
          `${i}.bin`,
          new TextDecoder().decode(sealed!.metadata![KEY_ID_METADATA]!),
          Buffer.from(sealed!.data!),
          row.offset,
          row.total,
        ],
      );
    }
    const store = new CheckpointStore(pool, keys);
    for (const [i, row] of EARLIER_ROWS.entries()) {
      expect(await store.load(refs[i]!)).toEqual({ name: `${i}.bin`, checkpoint: row.checkpoint });
    }
  });

  it('write each case in the same format, so that an earlier release reads it too', async () => {
    const refs = await plannedItem(EARLIER_ROWS.length);
    const keys = [key()];
    const store = new CheckpointStore(pool, keys);
    for (const [i, row] of EARLIER_ROWS.entries()) await store.save(refs[i]!, `${i}.bin`, row.checkpoint);
    const { rows } = await pool.query<{ seq: number; session_key_id: string; session: Buffer }>(
      'select seq, session_key_id, session from copy_upload_checkpoints where plan_id = $1 order by seq',
      [refs[0]!.planId],
    );
    const codec = new AesGcmCodec(keys);
    const opened = await codec.decode(
      rows.map((r) => ({
        metadata: {
          [METADATA_ENCODING_KEY]: new TextEncoder().encode(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: new TextEncoder().encode(r.session_key_id),
        },
        data: r.session,
      })),
    );
    expect(opened.map((p) => new TextDecoder().decode(p.data!))).toEqual(EARLIER_ROWS.map((r) => r.session));
  });

  it('write a Yandex operation once, then only its confirmed offset', async () => {
    const [ref] = await plannedItem();
    const keys = [key()];
    const item = new CheckpointStore(pool, keys).forItem(ref!);
    await item.load();
    const upload = (confirmedOffset: number): UploadCheckpoint => ({
      kind: 'yandex',
      operation: 'upload',
      operationId: 'op1',
      confirmedOffset,
      total: 3000,
    });
    // A new session is a write the adapter awaits; the same operation again only queues its offset.
    await expect(item.update('y.bin', upload(0))).resolves.toBeUndefined();
    expect(item.update('y.bin', upload(3000))).toBeUndefined();
    expect(await confirmedOffset(ref!.planId, 3000)).toBe('3000');
    expect((await new CheckpointStore(pool, keys).load(ref!))?.checkpoint).toEqual(upload(3000));
  });
});
