// Copy plans in PostgreSQL: saved once by the job that builds them, then read by page by the copy
// workflow, so a 20,000-item plan never travels as one Temporal payload. Per-item outcomes per
// destination are stored beside them for the final report.
import type { Pool } from '../../lib/db';
import type { CopyItemResult, CopyPlanItem, ItemStatus, PlanRef } from '../../lib/jobs/copy-to-cloud';

const BATCH = 1000;

interface ItemRow {
  key: string;
  rel_path: string;
  source_url: string;
  size: string | null;
  crc32: string | null;
  md5: string | null;
  mime_type: string | null;
  publicly_fetchable: boolean;
}

interface ResultRow {
  key: string;
  rel_path: string;
  status: ItemStatus;
  bytes: string;
  md5: string | null;
  crc32: string | null;
  destination_id: string | null;
  destination_path: string | null;
  renamed_from: string | null;
  error_type: string | null;
  error_message: string | null;
}

const fromItemRow = (r: ItemRow): CopyPlanItem => ({
  key: r.key,
  relPath: r.rel_path,
  sourceUrl: r.source_url,
  ...(r.size !== null && { size: Number(r.size) }),
  ...(r.crc32 !== null && { crc32: r.crc32 }),
  ...(r.md5 !== null && { md5: r.md5 }),
  ...(r.mime_type !== null && { mimeType: r.mime_type }),
  ...(r.publicly_fetchable && { publiclyFetchable: true }),
});

const fromResultRow = (r: ResultRow): CopyItemResult => ({
  key: r.key,
  relPath: r.rel_path,
  status: r.status,
  bytes: Number(r.bytes),
  ...(r.md5 !== null && { md5: r.md5 }),
  ...(r.crc32 !== null && { crc32: r.crc32 }),
  ...(r.destination_id !== null && { destinationId: r.destination_id }),
  ...(r.destination_path !== null && { destinationPath: r.destination_path }),
  ...(r.renamed_from !== null && { renamedFrom: r.renamed_from }),
  ...(r.error_type !== null && { error: { type: r.error_type, message: r.error_message ?? '' } }),
});

export class PlanStore {
  constructor(private readonly pool: Pool) {}

  /** Stores the plan under `planId`, replacing any earlier plan of that id (so a retried save is harmless). */
  async save(planId: string, items: Iterable<CopyPlanItem> | AsyncIterable<CopyPlanItem>): Promise<PlanRef> {
    if (!planId) throw new Error('planId is required');
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      await client.query('delete from copy_plans where plan_id = $1', [planId]);
      await client.query('insert into copy_plans (plan_id, total, total_bytes) values ($1, 0, 0)', [planId]);
      let total = 0;
      let totalBytes = 0;
      let batch: CopyPlanItem[] = [];
      const flush = async () => {
        if (!batch.length) return;
        await client.query(
          `insert into copy_plan_items
             (plan_id, seq, key, rel_path, source_url, size, crc32, md5, mime_type, publicly_fetchable)
           select $1, * from unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::bigint[],
                                    $7::text[], $8::text[], $9::text[], $10::boolean[])`,
          [
            planId,
            batch.map((_, i) => total - batch.length + i),
            batch.map((i) => i.key),
            batch.map((i) => i.relPath),
            batch.map((i) => i.sourceUrl),
            batch.map((i) => i.size ?? null),
            batch.map((i) => i.crc32?.toLowerCase() ?? null),
            batch.map((i) => i.md5?.toLowerCase() ?? null),
            batch.map((i) => i.mimeType ?? null),
            batch.map((i) => i.publiclyFetchable ?? false),
          ],
        );
        batch = [];
      };
      for await (const item of items) {
        batch.push(item);
        total += 1;
        totalBytes += item.size ?? 0;
        if (batch.length >= BATCH) await flush();
      }
      await flush();
      await client.query('update copy_plans set total = $2, total_bytes = $3 where plan_id = $1', [
        planId,
        total,
        totalBytes,
      ]);
      await client.query('commit');
      return { planId, total, totalBytes };
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async ref(planId: string): Promise<PlanRef | undefined> {
    const { rows } = await this.pool.query<{ total: number; total_bytes: string }>(
      'select total, total_bytes from copy_plans where plan_id = $1',
      [planId],
    );
    const row = rows[0];
    return row && { planId, total: row.total, totalBytes: Number(row.total_bytes) };
  }

  /** Items `offset` .. `offset + limit - 1` in plan order. */
  async page(planId: string, offset: number, limit: number): Promise<CopyPlanItem[]> {
    const { rows } = await this.pool.query<ItemRow>(
      `select key, rel_path, source_url, size, crc32, md5, mime_type, publicly_fetchable
         from copy_plan_items where plan_id = $1 and seq >= $2 and seq < $3 order by seq`,
      [planId, offset, offset + limit],
    );
    return rows.map(fromItemRow);
  }

  /**
   * Records one item's outcome at a destination; the latest outcome replaces an earlier one. Its upload
   * checkpoint goes in the same statement: an outcome never leaves a session behind to resume.
   */
  async record(planId: string, destinationKey: string, seq: number, result: CopyItemResult): Promise<void> {
    await this.recordMany(planId, destinationKey, [{ seq, result }]);
  }

  /** Records many outcomes (a batch, a page of items found already there) in one statement, clearing their checkpoints. */
  async recordMany(planId: string, destinationKey: string, rows: Array<{ seq: number; result: CopyItemResult }>) {
    if (!rows.length) return;
    const json = rows.map(({ seq, result: r }) => ({
      key: r.key,
      seq,
      rel_path: r.relPath,
      status: r.status,
      bytes: r.bytes,
      md5: r.md5 ?? null,
      crc32: r.crc32 ?? null,
      destination_id: r.destinationId ?? null,
      destination_path: r.destinationPath ?? null,
      renamed_from: r.renamedFrom ?? null,
      error_type: r.error?.type ?? null,
      error_message: r.error?.message ?? null,
    }));
    await this.pool.query(
      `with cleared as (
         delete from copy_upload_checkpoints c using jsonb_to_recordset($3::jsonb) as d(seq int)
          where c.plan_id = $1 and c.destination_key = $2 and c.seq = d.seq
       )
       insert into copy_results (plan_id, destination_key, key, seq, rel_path, status, bytes, md5, crc32,
                                 destination_id, destination_path, renamed_from, error_type, error_message)
       select $1, $2, key, seq, rel_path, status, bytes, md5, crc32, destination_id, destination_path,
              renamed_from, error_type, error_message
         from jsonb_to_recordset($3::jsonb) as x(key text, seq int, rel_path text, status text, bytes bigint,
              md5 text, crc32 text, destination_id text, destination_path text, renamed_from text,
              error_type text, error_message text)
       on conflict (plan_id, destination_key, key) do update set
         seq = excluded.seq, rel_path = excluded.rel_path, status = excluded.status, bytes = excluded.bytes,
         md5 = excluded.md5, crc32 = excluded.crc32, destination_id = excluded.destination_id,
         destination_path = excluded.destination_path, renamed_from = excluded.renamed_from,
         error_type = excluded.error_type, error_message = excluded.error_message, updated_at = now()`,
      [planId, destinationKey, JSON.stringify(json)],
    );
  }

  /** The per-item report of one plan at one destination, in plan order, optionally of one status. */
  async results(
    planId: string,
    destinationKey: string,
    opts: { offset: number; limit: number; status?: ItemStatus },
  ): Promise<CopyItemResult[]> {
    const { rows } = await this.pool.query<ResultRow>(
      `select key, rel_path, status, bytes, md5, crc32, destination_id, destination_path, renamed_from,
              error_type, error_message
         from copy_results
        where plan_id = $1 and destination_key = $2 and ($3::text is null or status = $3)
        order by seq offset $4 limit $5`,
      [planId, destinationKey, opts.status ?? null, opts.offset, opts.limit],
    );
    return rows.map(fromResultRow);
  }
}

/** The results' key for a destination: the cloud and the root folder (credentials are not part of it). */
export function destinationKey(spec: { cloud: string; rootFolder: string }): string {
  return `${spec.cloud}:${spec.rootFolder.replace(/^\/+|\/+$/g, '')}`;
}
