// Loads one window of IT Resume items into PostgreSQL in ONE transaction: the stream is COPYed
// (pg-copy-streams) into a temporary staging table as it arrives, then merged with
// INSERT ... ON CONFLICT DO NOTHING on the natural key, so re-running any window inserts nothing twice.
// The window's counts are committed with the rows (etl_runs.loaded_at): a retry after the commit
// returns those counts instead of loading again.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { Pool } from '../../lib/db';
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

const BATCH_CHARS = 256 * 1024;

interface Tally {
  valid: number;
  rejected: number;
  downloadMs: number;
}

/** Turns items into COPY lines, batched into strings of ~256 KiB (fewer, larger writes). */
async function* copyLines(items: AsyncIterable<StreamItem>, tally: Tally, started: number): AsyncGenerator<string> {
  let batch = '';
  for await (const item of items) {
    let line: string;
    if (item.kind === 'item') {
      const v = validateRecord(item.value);
      if (v.ok) {
        const a = v.attempt;
        tally.valid++;
        line = `${a.createdAt}\t${a.ltiUserId}\t${a.attemptType}\t${a.isCorrect === null ? '\\N' : a.isCorrect}\t${esc(
          a.oauthConsumerKey,
        )}\t${esc(a.lisResultSourcedid)}\t${esc(a.lisOutcomeServiceUrl)}\t${esc(
          a.extraParams ? JSON.stringify(a.extraParams) : null,
        )}\t\\N\t\\N\n`;
      } else {
        tally.rejected++;
        line = `\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t${esc(item.raw)}\t${esc(v.reason)}\n`;
      }
    } else if (item.kind === 'bad-item') {
      tally.rejected++;
      line = `\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t${esc(item.raw)}\t${esc(`not valid JSON: ${item.error}`)}\n`;
    } else continue;
    batch += line;
    if (batch.length >= BATCH_CHARS) {
      yield batch;
      batch = '';
    }
  }
  tally.downloadMs = Date.now() - started;
  if (batch) yield batch;
}

export async function loadWindow(pool: Pool, runId: number, items: AsyncIterable<StreamItem>): Promise<LoadCounts> {
  const client = await pool.connect();
  let broken = false;
  try {
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
      Readable.from(copyLines(items, tally, started)),
      client.query(copyFrom(`copy etl_stage (${STAGE_COLUMNS}) from stdin`)),
    );
    const merged = await client.query(
      `insert into etl_attempts (${ATTEMPT_COLUMNS}, run_id)
         select ${ATTEMPT_COLUMNS}, $1 from etl_stage where reason is null
         on conflict on constraint etl_attempts_natural_key do nothing`,
      [runId],
    );
    if (tally.rejected) {
      await client.query(
        `insert into etl_rejected (raw_hash, raw, reason, run_id)
           select encode(sha256(convert_to(raw, 'UTF8')), 'hex'), raw, reason, $1 from etl_stage where reason is not null
           on conflict (raw_hash) do nothing`,
        [runId],
      );
    }
    const inserted = merged.rowCount ?? 0;
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
