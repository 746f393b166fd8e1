// The ETL's bookkeeping in PostgreSQL: one etl_runs row per window, and the per-day figures
// (attempts, successful attempts, unique users) computed in SQL from etl_attempts. The API reads the
// rows back for GET /etl-runs/{id} (api/etl-runs-store.ts).
import type { Pool } from '../../lib/db';
import type { DayFigures, RunTrigger } from '../../lib/jobs/etl-run';
import { storableText } from './storable';

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
