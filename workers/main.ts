// The worker process: one entry point for every workflow and activity of the task queue.
import { ConfigError, loadConfig } from '../lib/config';
import { createPool } from '../lib/db';
import { createLogger } from '../lib/logger';
import { migrate } from '../lib/migrate';
import { createWorkerConnection } from '../lib/temporal';
import { createActivities } from '../activities';
import { installRuntime } from './runtime';
import { createFerryWorker } from './worker';

async function main() {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'ferry-worker' });
  installRuntime(logger);
  if (config.DATABASE_URL) await migrate(config.DATABASE_URL, (msg) => logger.debug(msg));
  const pool = config.DATABASE_URL ? createPool(config.DATABASE_URL) : undefined;
  const connection = await createWorkerConnection(config);
  const worker = await createFerryWorker({
    config,
    connection,
    activities: createActivities({ config, logger, pool }),
  });
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, address: config.TEMPORAL_ADDRESS }, 'Ferry worker started');
  // Runtime handles SIGINT/SIGTERM: the worker stops polling, drains, and run() resolves.
  await worker.run();
  await pool?.end();
  await connection.close();
  logger.info('Ferry worker stopped');
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
