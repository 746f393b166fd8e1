// What the API's routes need, built once by api/main.ts (or by a test) and passed to createApp.
import type { Client } from '@temporalio/client';
import type { Config } from '../lib/config';
import type { Pool } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { ApiMetrics } from './metrics';
import type { Tracing } from '../lib/tracing';

export interface ApiDeps {
  config: Config;
  temporal: Client;
  pool?: Pool;
  logger: Logger;
  /** Request metrics, served on API_METRICS_PORT by api/main.ts; a fresh registry when omitted. */
  metrics?: ApiMetrics;
  /** Set when traces are on (lib/tracing.ts): every request is then a span. */
  tracing?: Tracing;
}
