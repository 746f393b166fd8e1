// Loads one window of IT Resume items into PostgreSQL in ONE transaction, never inserting a row twice:
//   - the usual case, a window that overlaps rows already loaded (the lookback, a re-run): the stream is
//     COPYed (pg-copy-streams) into a temporary staging table as it arrives, then merged on the natural
//     key (INSERT of the missing rows; ON CONFLICT DO NOTHING when the batch repeats itself);
//   - a window with no rows yet (the first load of a day, a backfill): the valid rows are COPYed straight
//     into etl_attempts, as fast as `\copy` — its primary key still refuses any duplicate, and if one
//     comes (the API repeating a record, a concurrent load), the COPY is rolled back to a savepoint and
//     the window is loaded again the staged way.
// The window's counts are committed with the rows (etl_runs.loaded_at): a retry after the commit
// returns those counts instead of loading again. What each item becomes is etl-lines.ts: no record,
// however hostile, can make a COPY refuse its line (docs/etl.md#malformed-and-hostile-records).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { Pool, PoolClient } from '../../lib/db';
import type { LoadCounts, LoadStages } from '../../lib/jobs/etl-run';
import { etlRows } from '../../lib/metrics';
import type { StreamItem } from '../itresume/json-array-stream';
import { itemLine } from './etl-lines';

/** Cheap timers (a clock read per network chunk and per batch) filled in as a load streams. */
export interface StageClock {
  /** Added by the source (fetchStatistics) while it waits on the network. */
  networkMs: number;
  /** Waiting for the next batch of items: the network plus the JSON split. */
  sourceMs: number;
  /** Validating items and writing their COPY lines. */
  transformMs: number;
}

const newClock = (): StageClock => ({ networkMs: 0, sourceMs: 0, transformMs: 0 });

function stagesOf(clock: StageClock, loadMs: number): LoadStages {
  const downloadMs = Math.round(clock.networkMs);
  const parseMs = Math.round(Math.max(0, clock.sourceMs - clock.networkMs) + clock.transformMs);
  return { downloadMs, parseMs, copyMs: Math.max(0, loadMs - downloadMs - parseMs) };
}

const STAGE_COLUMNS =
  'created_at, lti_user_id, attempt_type, is_correct, oauth_consumer_key, lis_result_sourcedid, lis_outcome_service_url, extra_params, raw, reason';
const ATTEMPT_COLUMNS =
  'created_at, lti_user_id, attempt_type, is_correct, oauth_consumer_key, lis_result_sourcedid, lis_outcome_service_url, extra_params';

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
 * A direct load keeps rejected items in memory until its COPY ends; past this many, or this much text
 * (a hostile day of 1 MiB items), it goes staged.
 */
const MAX_HELD_REJECTS = 10_000;
const MAX_HELD_CHARS = 16 << 20;

class TooManyRejects extends Error {}

/**
 * Turns items into COPY lines, batched into strings of ~32 KiB: large enough for few writes, small enough
 * that a batch dies young (larger batches outlive a scavenge and bloat V8's old generation).
 * Staged (`heldRejects` undefined): every item is a line of etl_stage, rejected ones with raw + reason.
 * Direct: valid items are lines of etl_attempts (with `runId`), rejected lines are held for later.
 */
async function* copyLines(
  batches: AsyncIterable<StreamItem[]>,
  tally: Tally,
  started: number,
  clock: StageClock,
  direct?: { runId: number; heldRejects: string[]; heldChars: number },
): AsyncGenerator<string> {
  const tail = direct ? `\t${direct.runId}\n` : '\t\\N\t\\N\n';
  let batch = '';
  // The time spent suspended at `yield` (the COPY not ready for more) is PostgreSQL's, counted by neither.
  let asked = performance.now();
  for await (const items of batches) {
    const got = performance.now();
    clock.sourceMs += got - asked;
    for (const item of items) {
      if (item.kind === 'object') continue;
      const l = itemLine(item, tail);
      if (l.ok) {
        tally.valid++;
        const at = l.attempt.createdAt;
        if (tally.first === undefined || at < tally.first) tally.first = at;
        if (tally.last === undefined || at > tally.last) tally.last = at;
        batch += l.line;
        continue;
      }
      tally.rejected++;
      if (!direct) batch += l.line;
      else {
        direct.heldChars += l.line.length;
        if (direct.heldRejects.push(l.line) > MAX_HELD_REJECTS || direct.heldChars > MAX_HELD_CHARS) {
          throw new TooManyRejects();
        }
      }
    }
    clock.transformMs += performance.now() - got;
    if (batch.length >= BATCH_CHARS) {
      yield batch;
      batch = '';
    }
    asked = performance.now();
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

/** True when etl_attempts holds no row in the run's window: it can be loaded by a plain COPY. */
async function windowIsEmpty(client: PoolClient, runId: number): Promise<boolean> {
  const { rows } = await client.query<{ empty: boolean }>(
    `select not exists (select 1 from etl_attempts a, etl_runs r
                         where r.id = $1 and a.created_at >= r.window_start and a.created_at < r.window_end) as empty`,
    [runId],
  );
  return rows[0]?.empty === true;
}

/** Streams COPY text into PostgreSQL; at most 4 batches wait in memory. */
async function copyIn(client: PoolClient, sql: string, text: Iterable<string> | AsyncIterable<string>): Promise<void> {
  await pipeline(Readable.from(text, { highWaterMark: 4 }), client.query(copyFrom(sql)));
}

/**
 * Loads a window; `openItems` opens the API's stream (a second time when a direct load has to fall back
 * to the staged one), adding its network waits to the clock it is given.
 */
export async function loadWindow(
  pool: Pool,
  runId: number,
  openItems: (clock: StageClock) => AsyncIterable<StreamItem[]>,
): Promise<LoadCounts> {
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
    const clock = newClock();
    await client.query(
      `create temp table etl_stage (
         created_at timestamp(6), lti_user_id text, attempt_type text, is_correct smallint,
         oauth_consumer_key text, lis_result_sourcedid text, lis_outcome_service_url text,
         extra_params jsonb, raw text, reason text
       ) on commit drop`,
    );
    let tally: Tally | undefined;
    let inserted = 0;
    if (await windowIsEmpty(client, runId)) {
      tally = { valid: 0, rejected: 0, downloadMs: 0 };
      const held = { runId, heldRejects: [] as string[], heldChars: 0 };
      await client.query('savepoint etl_direct');
      try {
        await copyIn(
          client,
          `copy etl_attempts (${ATTEMPT_COLUMNS}, run_id) from stdin`,
          copyLines(openItems(clock), tally, started, clock, held),
        );
        if (held.heldRejects.length) {
          await copyIn(client, `copy etl_stage (${STAGE_COLUMNS}) from stdin`, held.heldRejects);
        }
        await client.query('release savepoint etl_direct');
        inserted = tally.valid;
      } catch (err) {
        if (!(err instanceof TooManyRejects) && (err as { code?: string }).code !== '23505') throw err;
        await client.query('rollback to savepoint etl_direct');
        tally = undefined;
      }
    }
    if (!tally) {
      tally = { valid: 0, rejected: 0, downloadMs: 0 };
      await copyIn(
        client,
        `copy etl_stage (${STAGE_COLUMNS}) from stdin`,
        copyLines(openItems(clock), tally, started, clock),
      );
      inserted = await merge(client, runId, tally);
    }
    if (tally.rejected) {
      await client.query(
        `insert into etl_rejected (raw_hash, raw, reason, run_id)
           select encode(sha256(convert_to(raw, 'UTF8')), 'hex'), raw, reason, $1 from etl_stage where reason is not null
           on conflict (raw_hash) do nothing`,
        [runId],
      );
    }
    const loadMs = Date.now() - started;
    const counts: LoadCounts = {
      fetched: tally.valid + tally.rejected,
      inserted,
      duplicates: tally.valid - inserted,
      rejected: tally.rejected,
      downloadMs: tally.downloadMs,
      loadMs,
      stages: stagesOf(clock, loadMs),
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
