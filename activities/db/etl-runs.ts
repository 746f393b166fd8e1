// The ETL's bookkeeping in PostgreSQL: one etl_runs row per window, and the per-day figures
// (attempts, successful attempts, unique users) computed in SQL from etl_attempts.
import type { Pool } from '../../lib/db';
import { storableText } from './storable';

export type RunTrigger = 'schedule' | 'manual' | 'backfill';

export interface DayFigures {
  /** YYYY-MM-DD (UTC). */
  date: string;
  attempts: number;
  successful: number;
  uniqueUsers: number;
}

export interface RunRow {
  id: number;
  workflowId: string;
  trigger: RunTrigger;
  windowStart: string;
  windowEnd: string;
  status: 'running' | 'succeeded' | 'failed';
  fetched: number | null;
  inserted: number | null;
  duplicates: number | null;
  rejected: number | null;
  downloadMs: number | null;
  loadMs: number | null;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}

/** Creates (or, for a retried activity, finds) the window's row; returns its id. */
export async function beginRun(
  pool: Pool,
  run: { workflowId: string; trigger: RunTrigger; windowStart: string; windowEnd: string },
): Promise<number> {
  const { rows } = await pool.query<{ id: string }>(
    `insert into etl_runs (run_key, workflow_id, trigger, window_start, window_end)
       values ($1, $2, $3, $4, $5)
       on conflict (run_key) do update set run_key = excluded.run_key
       returning id`,
    [`${run.workflowId}/${run.windowStart}`, run.workflowId, run.trigger, run.windowStart, run.windowEnd],
  );
  return Number(rows[0]!.id);
}

export async function finishRun(pool: Pool, runId: number, status: 'succeeded' | 'failed', error?: string) {
  // The error may quote the API's own reply, U+0000 included: stored escaped, or the update would fail too.
  await pool.query(
    `update etl_runs set status = $2, error = $3, finished_at = coalesce(finished_at, now()) where id = $1`,
    [runId, status, error === undefined ? null : storableText(error)],
  );
}

/** Figures of each UTC day in [from, to] (inclusive dates); days without attempts give zeros. */
export async function aggregateDays(pool: Pool, from: string, to: string): Promise<DayFigures[]> {
  const { rows } = await pool.query<{ day: string; attempts: string; successful: string; unique_users: string }>(
    // Unique users through a DISTINCT subquery: a hash aggregate, where count(distinct) would sort.
    `select to_char(d, 'YYYY-MM-DD') as day, s.attempts, s.successful, u.unique_users
       from generate_series($1::date::timestamp, $2::date::timestamp, interval '1 day') as d
       cross join lateral (
         select count(*) as attempts, count(*) filter (where a.is_correct = 1) as successful
           from etl_attempts a where a.created_at >= d and a.created_at < d + interval '1 day') s
       cross join lateral (
         select count(*) as unique_users from (
           select distinct a.lti_user_id from etl_attempts a
            where a.created_at >= d and a.created_at < d + interval '1 day') x) u
      order by d`,
    [from, to],
  );
  return rows.map((r) => ({
    date: r.day,
    attempts: Number(r.attempts),
    successful: Number(r.successful),
    uniqueUsers: Number(r.unique_users),
  }));
}

export async function runsOfWorkflow(pool: Pool, workflowId: string): Promise<RunRow[]> {
  const { rows } = await pool.query<Record<string, unknown>>(
    `select id, workflow_id, trigger, to_char(window_start, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as window_start,
            to_char(window_end, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as window_end, status, fetched, inserted,
            duplicates, rejected, download_ms, load_ms, started_at, finished_at, error
       from etl_runs where workflow_id = $1 order by window_start`,
    [workflowId],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    workflowId: r.workflow_id as string,
    trigger: r.trigger as RunTrigger,
    windowStart: r.window_start as string,
    windowEnd: r.window_end as string,
    status: r.status as RunRow['status'],
    fetched: r.fetched as number | null,
    inserted: r.inserted as number | null,
    duplicates: r.duplicates as number | null,
    rejected: r.rejected as number | null,
    downloadMs: r.download_ms as number | null,
    loadMs: r.load_ms as number | null,
    startedAt: (r.started_at as Date).toISOString(),
    finishedAt: r.finished_at ? (r.finished_at as Date).toISOString() : null,
    error: r.error as string | null,
  }));
}
