// Loads one window of IT Resume items into PostgreSQL in ONE transaction: the stream is COPYed
// (pg-copy-streams) into a temporary staging table as it arrives, then merged with
// INSERT ... ON CONFLICT DO NOTHING on the natural key, so re-running any window inserts nothing twice.
// The window's counts are committed with the rows (etl_runs.loaded_at): a retry after the commit
// returns those counts instead of loading again.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { Pool, PoolClient } from '../../lib/db';
import { etlRows } from '../../lib/metrics';
import type { StreamItem } from '../itresume/json-array-stream';
import { validateRecord } from '../itresume/record';

export interface LoadCounts {
  fetched: number;
  inserted: number;
  duplicates: number;
  rejected: number;
  downloadMs: number;
  loadMs: number;
}

const STAGE_COLUMNS =
  'created_at, lti_user_id, attempt_type, is_correct, oauth_consumer_key, lis_result_sourcedid, lis_outcome_service_url, extra_params, raw, reason';
const ATTEMPT_COLUMNS =
  'created_at, lti_user_id, attempt_type, is_correct, oauth_consumer_key, lis_result_sourcedid, lis_outcome_service_url, extra_params';

// COPY text format: tab-separated, \N for NULL, backslash escapes for the separators.
const NEEDS_ESCAPE = /[\\\t\n\r]/;
const esc = (v: string | null): string =>
  v === null
    ? '\\N'
    : NEEDS_ESCAPE.test(v)
      ? v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
      : v;

const BATCH_CHARS = 32 * 1024;
const STAGING_BUFFERS = '256MB';

interface Tally {
  valid: number;
  /** The valid rows' created_at range (the normalised text sorts as time does). */
  first?: string;
  last?: string;
  rejected: number;
  downloadMs: number;
}

/**
 * Turns items into COPY lines, batched into strings of ~32 KiB: large enough for few writes, small enough
 * that a batch dies young (larger batches outlive a scavenge and bloat V8's old generation).
 */
async function* copyLines(batches: AsyncIterable<StreamItem[]>, tally: Tally, started: number): AsyncGenerator<string> {
  let batch = '';
  for await (const items of batches) {
    for (const item of items) {
      let line: string;
      if (item.kind === 'item') {
        const v = validateRecord(item.value);
        if (v.ok) {
          const a = v.attempt;
          tally.valid++;
          if (tally.first === undefined || a.createdAt < tally.first) tally.first = a.createdAt;
          if (tally.last === undefined || a.createdAt > tally.last) tally.last = a.createdAt;
          line = `${a.createdAt}\t${a.ltiUserId}\t${a.attemptType}\t${a.isCorrect === null ? '\\N' : a.isCorrect}\t${esc(
            a.oauthConsumerKey,
          )}\t${esc(a.lisResultSourcedid)}\t${esc(a.lisOutcomeServiceUrl)}\t${esc(
            a.extraParams ? JSON.stringify(a.extraParams) : null,
          )}\t\\N\t\\N\n`;
        } else {
          tally.rejected++;
          line = `\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t${esc(item.raw ?? JSON.stringify(item.value))}\t${esc(v.reason)}\n`;
        }
      } else if (item.kind === 'bad-item') {
        tally.rejected++;
        line = `\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t${esc(item.raw)}\t${esc(`not valid JSON: ${item.error}`)}\n`;
      } else continue;
      batch += line;
    }
    if (batch.length >= BATCH_CHARS) {
      yield batch;
      batch = '';
    }
  }
  tally.downloadMs = Date.now() - started;
  if (batch) yield batch;
}

/**
 * Moves the staged valid rows into etl_attempts, skipping those already there. The fast path is a
 * plain INSERT of the rows the table lacks (an anti-join on the key): ON CONFLICT's speculative
 * insertion costs every row a second index probe and heap write. If the batch itself repeats a key
 * (the API sent a record twice) or a concurrent load got there first, the plain INSERT meets a
 * unique violation; it is rolled back to a savepoint and redone with ON CONFLICT DO NOTHING.
 */
async function merge(client: PoolClient, runId: number, tally: Tally): Promise<number> {
  if (!tally.valid) return 0;
  await client.query('savepoint etl_merge');
  try {
    const fast = await client.query(
      `insert into etl_attempts (${ATTEMPT_COLUMNS}, run_id)
         select ${ATTEMPT_COLUMNS}, $1 from etl_stage s
          where s.reason is null
            and not exists (select 1 from etl_attempts a
                             where a.created_at = s.created_at and a.lti_user_id = s.lti_user_id
                               and a.attempt_type = s.attempt_type
                               -- The batch's time range: the planner probes only that slice of a table
                               -- holding years, instead of hashing all of it.
                               and a.created_at between $2 and $3)`,
      [runId, tally.first, tally.last],
    );
    await client.query('release savepoint etl_merge');
    return fast.rowCount ?? 0;
  } catch (err) {
    if ((err as { code?: string }).code !== '23505') throw err;
    await client.query('rollback to savepoint etl_merge');
  }
  const safe = await client.query(
    `insert into etl_attempts (${ATTEMPT_COLUMNS}, run_id)
       select ${ATTEMPT_COLUMNS}, $1 from etl_stage where reason is null
       on conflict on constraint etl_attempts_natural_key do nothing`,
    [runId],
  );
  return safe.rowCount ?? 0;
}

export async function loadWindow(pool: Pool, runId: number, items: AsyncIterable<StreamItem[]>): Promise<LoadCounts> {
  const client = await pool.connect();
  let broken = false;
  try {
    // Room for the staging table in memory (default 8 MB spills a big window to disk). PostgreSQL only
    // accepts this before the session's first temp table; a pooled session keeps the value it got.
    await client.query(`set temp_buffers = '${STAGING_BUFFERS}'`).catch(() => undefined);
    await client.query('begin');
    const run = await client.query<{
      loaded: boolean;
      fetched: number;
      inserted: number;
      duplicates: number;
      rejected: number;
      download_ms: number;
      load_ms: number;
    }>(
      `select loaded_at is not null as loaded, fetched, inserted, duplicates, rejected, download_ms, load_ms
         from etl_runs where id = $1 for update`,
      [runId],
    );
    const row = run.rows[0];
    if (!row) throw new Error(`etl_runs row ${runId} does not exist`);
    if (row.loaded) {
      await client.query('commit');
      return {
        fetched: row.fetched,
        inserted: row.inserted,
        duplicates: row.duplicates,
        rejected: row.rejected,
        downloadMs: row.download_ms,
        loadMs: row.load_ms,
      };
    }

    const started = Date.now();
    await client.query(
      `create temp table etl_stage (
         created_at timestamp(6), lti_user_id text, attempt_type text, is_correct smallint,
         oauth_consumer_key text, lis_result_sourcedid text, lis_outcome_service_url text,
         extra_params jsonb, raw text, reason text
       ) on commit drop`,
    );
    const tally: Tally = { valid: 0, rejected: 0, downloadMs: 0 };
    await pipeline(
      Readable.from(copyLines(items, tally, started), { highWaterMark: 4 }),
      client.query(copyFrom(`copy etl_stage (${STAGE_COLUMNS}) from stdin`)),
    );
    const inserted = await merge(client, runId, tally);
    if (tally.rejected) {
      await client.query(
        `insert into etl_rejected (raw_hash, raw, reason, run_id)
           select encode(sha256(convert_to(raw, 'UTF8')), 'hex'), raw, reason, $1 from etl_stage where reason is not null
           on conflict (raw_hash) do nothing`,
        [runId],
      );
    }
    const counts: LoadCounts = {
      fetched: tally.valid + tally.rejected,
      inserted,
      duplicates: tally.valid - inserted,
      rejected: tally.rejected,
      downloadMs: tally.downloadMs,
      loadMs: Date.now() - started,
    };
    await client.query(
      `update etl_runs set fetched = $2, inserted = $3, duplicates = $4, rejected = $5, download_ms = $6,
              load_ms = $7, loaded_at = now() where id = $1`,
      [runId, counts.fetched, counts.inserted, counts.duplicates, counts.rejected, counts.downloadMs, counts.loadMs],
    );
    await client.query('commit');
    etlRows.inc({ table: 'etl_attempts' }, counts.inserted);
    return counts;
  } catch (err) {
    // A COPY that failed mid-stream can leave the connection unusable: drop it rather than pool it.
    broken = true;
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release(broken);
  }
}
