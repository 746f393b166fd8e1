// A scheduled backup's ledger in PostgreSQL (db/migrations/1700000004000_photo-backup-ledger.sql): the
// photos its runs have backed up and their names. Names are pinned at first backup, so a photo whose
// like count changed is still found at its old name and not copied twice.
import type { Pool } from '../../lib/db';
import type { KeyedReportEntry } from './types';

const BATCH = 1000;

/** key -> file name of every photo the ledger holds. */
export async function pinnedNames(pool: Pool, ledgerId: string): Promise<Map<string, string>> {
  const { rows } = await pool.query<{ key: string; file_name: string }>(
    'select key, file_name from photo_backup_ledger where ledger_id = $1',
    [ledgerId],
  );
  return new Map(rows.map((r) => [r.key, r.file_name]));
}

/** Adds (or refreshes) this run's photos; a photo keeps the name it was first backed up under. */
export async function recordLedger(pool: Pool, ledgerId: string, entries: KeyedReportEntry[]): Promise<void> {
  for (let i = 0; i < entries.length; i += BATCH) {
    const batch = entries.slice(i, i + BATCH);
    await pool.query(
      `insert into photo_backup_ledger (ledger_id, key, file_name, size, photo_date, photo_id)
       select $1, * from unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[])
       on conflict (ledger_id, key) do update
         set size = excluded.size, photo_date = excluded.photo_date, last_backed_up_at = now()`,
      [
        ledgerId,
        batch.map((e) => e.key),
        batch.map((e) => e.file_name),
        batch.map((e) => e.size),
        batch.map((e) => e.date),
        batch.map((e) => e.photoId),
      ],
    );
  }
}

/** Every photo backed up so far, newest first (the order of a single run's report). */
export async function ledgerReport(pool: Pool, ledgerId: string): Promise<Array<{ file_name: string; size: string }>> {
  const { rows } = await pool.query<{ file_name: string; size: string }>(
    `select file_name, size from photo_backup_ledger where ledger_id = $1
     order by photo_date desc, length(photo_id) desc, photo_id collate "C" desc`,
    [ledgerId],
  );
  return rows;
}
