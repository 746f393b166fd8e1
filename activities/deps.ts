// What activities need, built once per worker process by workers/main.ts (tests build their own).
import type { Config } from '../lib/config';
import type { Pool } from '../lib/db';
import type { Logger } from '../lib/logger';

export interface ActivityDeps {
  config: Config;
  logger: Logger;
  pool?: Pool;
}
