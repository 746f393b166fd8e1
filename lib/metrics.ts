// Ferry's own Prometheus metrics: one registry, a few named counters any activity can increment in one
// line, e.g. `filesCopied.inc({ job: 'gallery', destination: 'gdrive' })`. The worker serves them on
// /metrics (workers/metrics.ts) next to the Temporal SDK's. Not for workflows: they must stay pure.
import { ApplicationFailure } from '@temporalio/common';
import { Counter, Registry } from 'prom-client';

export const ferryRegistry = new Registry();

/** Files written to a destination and verified (one per file, retries of the same file not counted twice). */
export const filesCopied = new Counter({
  name: 'ferry_files_copied_total',
  help: 'Files copied to a destination and verified',
  labelNames: ['job', 'destination'] as const,
  registers: [ferryRegistry],
});

/** Bytes of verified files (the file size, not bytes on the wire: resumed uploads are counted once). */
const bytesCopied = new Counter({
  name: 'ferry_bytes_copied_total',
  help: 'Bytes of files copied to a destination and verified',
  labelNames: ['job', 'destination'] as const,
  registers: [ferryRegistry],
});

/** Failures by FailureType (lib/failures.ts) or another short reason; never a free-text message. */
export const failures = new Counter({
  name: 'ferry_failures_total',
  help: 'Failures by job and reason (a FailureType)',
  labelNames: ['job', 'reason'] as const,
  registers: [ferryRegistry],
});

/** Failed activity attempts of every job, by activity and FailureType (workers/activity-metrics.ts). */
const activityFailures = new Counter({
  name: 'ferry_activity_failures_total',
  help: 'Failed activity attempts by activity type and reason (a FailureType or the error class)',
  labelNames: ['activity_type', 'reason'] as const,
  registers: [ferryRegistry],
});

/** Rows the daily ETL loaded, by target table. */
export const etlRows = new Counter({
  name: 'ferry_etl_rows_total',
  help: 'Rows loaded by the daily ETL',
  labelNames: ['table'] as const,
  registers: [ferryRegistry],
});

// The label values known in advance start at 0: a rate over a series that appears only with its first
// file reads as no data, and the dashboard's panels have every cloud from the start.
for (const destination of ['google_drive', 'yadisk']) {
  filesCopied.inc({ destination }, 0);
  bytesCopied.inc({ destination }, 0);
}
etlRows.inc({ table: 'etl_attempts' }, 0);

/** One verified file: counts it and its bytes. `job` is optional where the caller does not know it. */
export function recordCopied(labels: { destination: string; job?: string }, bytes: number): void {
  filesCopied.inc(labels);
  bytesCopied.inc(labels, bytes);
}

/** Why something failed, as a label: its FailureType (ApplicationFailure.type) or else the error's class. */
const reasonOf = (err: unknown): string =>
  err instanceof ApplicationFailure && err.type ? err.type : err instanceof Error ? err.name : 'unknown';

/** A failed attempt, by its FailureType (ApplicationFailure.type) or else the error's class name. */
export function recordFailure(job: string, err: unknown): void {
  failures.inc({ job, reason: reasonOf(err) });
}

/** A failed activity attempt (any job), by activity type and reason. */
export function recordActivityFailure(activityType: string, err: unknown): void {
  activityFailures.inc({ activity_type: activityType, reason: reasonOf(err) });
}

/** Prometheus text of Ferry's counters (plus whatever else was registered on ferryRegistry). */
export const ferryMetricsText = (): Promise<string> => ferryRegistry.metrics();

export const PROMETHEUS_CONTENT_TYPE = ferryRegistry.contentType;
