// The worker process: one entry point for the task queue's workflows and activities, or one of the two
// (WORKER_ROLE). Only a process that runs activities needs PostgreSQL.
import type { Worker } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../lib/config';
import { createPool } from '../lib/db';
import { createLogger, type Logger } from '../lib/logger';
import { migrate } from '../lib/migrate';
import { createWorkerConnection } from '../lib/temporal';
import { startTracing } from '../lib/tracing';
import { ensureEtlScheduleAtStart } from '../client/etl-schedule';
import { createActivities } from '../activities';
import { startWorkerHealthServer, sdkTelemetryOptions } from './metrics';
import { installRuntime } from './runtime';
import { createFerryWorker } from './worker';

async function main() {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'ferry-worker' });
  const sdkMetricsPort = installRuntimeWithMetrics(config.WORKER_SDK_METRICS_PORT, logger);
  const tracing = startTracing(config, 'ferry-worker', { 'ferry.worker.role': config.WORKER_ROLE });
  if (tracing)
    logger.info({ collector: new URL(config.OTEL_EXPORTER_OTLP_ENDPOINT!).origin }, 'traces exported over OTLP/HTTP');
  let worker: Worker | undefined = undefined; // set once created; the health endpoint reads it before that
  const health = await startWorkerHealthServer({
    port: config.WORKER_HEALTH_PORT,
    state: () => worker?.getState() ?? 'STARTING',
    sdkMetricsPort,
    logger,
  });
  const databaseUrl = config.WORKER_ROLE === 'workflows' ? undefined : config.DATABASE_URL;
  if (databaseUrl) await migrate(databaseUrl, (msg) => logger.debug(msg));
  const pool = databaseUrl ? createPool(databaseUrl) : undefined;
  const connection = await createWorkerConnection(config);
  worker = await createFerryWorker({
    config,
    connection,
    activities: createActivities({ config, logger, pool }),
    tracing,
  });
  logger.info(
    { taskQueue: config.TEMPORAL_TASK_QUEUE, address: config.TEMPORAL_ADDRESS, role: config.WORKER_ROLE },
    'Ferry worker started',
  );
  await ensureEtlScheduleAtStart(config, logger);
  // Runtime handles SIGINT/SIGTERM: the worker stops polling, drains, and run() resolves.
  await worker.run();
  await pool?.end();
  await connection.close();
  await tracing?.shutdown().catch((err: unknown) => logger.warn({ err }, 'flushing traces failed'));
  await health.close();
  logger.info('Ferry worker stopped');
}

/** The SDK's metrics exporter binds a port; if it is taken, the worker still runs, without SDK metrics. */
function installRuntimeWithMetrics(port: number, logger: Logger): number | undefined {
  try {
    installRuntime(logger, sdkTelemetryOptions(port));
    return port || undefined;
  } catch (err) {
    logger.error({ err, port }, 'Temporal SDK metrics exporter failed to start; running without SDK metrics');
    installRuntime(logger);
    return undefined;
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
