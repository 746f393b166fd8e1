// What the API's routes need, built once by api/main.ts (or by a test) and passed to createApp.
import type { Client } from '@temporalio/client';
import type { Config } from '../lib/config';
import type { Pool } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { Tracing } from '../lib/tracing';

export interface ApiDeps {
  config: Config;
  temporal: Client;
  pool?: Pool;
  logger: Logger;
  /** Set when traces are on (lib/tracing.ts): every request is then a span. */
  tracing?: Tracing;
}
