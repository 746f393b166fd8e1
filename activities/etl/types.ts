// The ETL activities' types, the only thing workflows import from activities/ (no I/O reaches them).
// The job's own types (input, result, figures, counts) are its contract, lib/jobs/etl-run.ts.
import type { createEtlActivities } from './activities';

export type EtlActivities = ReturnType<typeof createEtlActivities>;
export type { EtlWindow } from './activities';
export type { RunReport } from '../mail/etl-report';
