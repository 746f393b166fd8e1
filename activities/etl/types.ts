// The ETL activities' types, the only thing workflows import from activities/ (no I/O reaches them).
import type { createEtlActivities } from './activities';

export type EtlActivities = ReturnType<typeof createEtlActivities>;
export type { EtlWindow } from './activities';
export type { DayFigures, RunTrigger } from '../db/etl-runs';
export type { LoadCounts } from '../db/etl-load';
export type { RunReport, WindowReport } from '../mail/etl-report';
