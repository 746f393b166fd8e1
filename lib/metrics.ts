// Ferry's own Prometheus metrics: one registry, a few named counters any activity can increment in one
// line, e.g. `filesCopied.inc({ job: 'gallery', destination: 'gdrive' })`. The worker serves them on
// /metrics (workers/metrics.ts) next to the Temporal SDK's. Not for workflows: they must stay pure.
import { ApplicationFailure } from '@temporalio/common';
import { Counter, Registry } from 'prom-client';

export const ferryRegistry = new Registry();

/** A counter on Ferry's registry. */
const counter = <L extends string>(name: string, help: string, ...labelNames: L[]) =>
  new Counter<L>({ name, help, labelNames, registers: [ferryRegistry] });

const COPY_LABELS = ['job', 'destination'] as const;

/** Files written to a destination and verified (one per file, retries of the same file not counted twice). */
export const filesCopied = counter(
  'ferry_files_copied_total',
  'Files copied to a destination and verified',
  ...COPY_LABELS,
);

/** Bytes of verified files (the file size, not bytes on the wire: resumed uploads are counted once). */
const bytesCopied = counter(
  'ferry_bytes_copied_total',
  'Bytes of files copied to a destination and verified',
  ...COPY_LABELS,
);

/** Failures by FailureType (lib/failures.ts) or another short reason; never a free-text message. */
export const failures = counter('ferry_failures_total', 'Failures by job and reason (a FailureType)', 'job', 'reason');

/** Failed activity attempts of every job, by activity and FailureType (workers/activity-metrics.ts). */
const activityFailures = counter(
  'ferry_activity_failures_total',
  'Failed activity attempts by activity type and reason (a FailureType or the error class)',
  'activity_type',
  'reason',
);

/** Rows the daily ETL loaded, by target table. */
export const etlRows = counter('ferry_etl_rows_total', 'Rows loaded by the daily ETL', 'table');

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
