// What GET /etl-runs/{id} reads: the etl_runs rows of one workflow, one per window. The worker's ETL
// activities write those rows (activities/db/etl-runs.ts); the API only reads them, here.
import type { Pool } from '../lib/db';
import type { RunTrigger } from '../lib/jobs/etl-run';

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
