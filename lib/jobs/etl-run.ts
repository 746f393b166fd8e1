// The daily ETL job's contract (the etlRun workflow), shared by the workflow, its activities, the API, the
// CLI and the etl-daily Schedule: the input, the result (each day's figures, each window's counts) and the
// workflow type. Which days a run covers is lib/etl-windows.ts. Pure types and constants: safe in workflows.

export const ETL_RUN_WORKFLOW_TYPE = 'etlRun';

export type RunTrigger = 'schedule' | 'manual' | 'backfill';

export interface EtlRunInput {
  /** First UTC day, YYYY-MM-DD. Omitted: the day before the (scheduled) start time. */
  start?: string;
  /** Last UTC day, inclusive. Omitted: same as start. */
  end?: string;
  trigger?: RunTrigger;
  /** How far the first window reaches back before its day (ETL_LOOKBACK_HOURS). Default 3. */
  lookbackHours?: number;
  /** Carried over by continue-as-new on a long backfill: what the earlier runs did. */
  carried?: { windows: WindowReport[]; days: DayFigures[] };
}

export interface EtlRunResult {
  workflowId: string;
  days: DayFigures[];
  windows: WindowReport[];
}

export interface DayFigures {
  /** YYYY-MM-DD (UTC). */
  date: string;
  attempts: number;
  successful: number;
  uniqueUsers: number;
}

export interface WindowReport extends LoadCounts {
  /** The days the window was for (YYYY-MM-DD). */
  day: string;
}

export interface LoadCounts {
  fetched: number;
  inserted: number;
  duplicates: number;
  rejected: number;
  /** When the API's stream ended, from the start of the load. */
  downloadMs: number;
  loadMs: number;
  /** Where loadMs went; absent when the counts come back from an earlier, committed attempt. */
  stages?: LoadStages;
}

/**
 * Where a load's time went. Download, parsing and COPY overlap in one stream, so each is the time the
 * load spent waiting on it or working on it; the three add up to loadMs.
 */
export interface LoadStages {
  /** Waiting for the API's bytes (the reply's headers included). */
  downloadMs: number;
  /** On the CPU turning bytes into COPY lines: the JSON split, validation, the lines themselves. */
  parseMs: number;
  /** The rest, PostgreSQL's: the COPY's backpressure and completion, the merge of staged rows. */
  copyMs: number;
}
