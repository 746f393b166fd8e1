// The API process: reads the environment, connects lazily to Temporal (so /healthz answers at once),
// listens (the API on PORT, its metrics on API_METRICS_PORT), and shuts down gracefully on SIGTERM/SIGINT.
import { ConfigError, loadConfig } from '../lib/config';
import { createPool } from '../lib/db';
import { createLogger } from '../lib/logger';
import { createLazyClient } from '../lib/temporal';
import { startTracing } from '../lib/tracing';
import { createApp } from './app';
import { createApiMetrics, startApiMetricsServer } from './metrics';

async function main() {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'ferry-api' });
  const tracing = startTracing(config, 'ferry-api');
  const temporal = createLazyClient(config, { tracing });
  const pool = config.DATABASE_URL ? createPool(config.DATABASE_URL, { max: 4 }) : undefined;
  const metrics = createApiMetrics({ config, temporal, logger });
  const app = createApp({ config, temporal, pool, logger, metrics, tracing });
  const metricsServer = await startApiMetricsServer({ port: config.API_METRICS_PORT, metrics, logger });
  if (tracing)
    logger.info({ collector: new URL(config.OTEL_EXPORTER_OTLP_ENDPOINT!).origin }, 'traces exported over OTLP/HTTP');
  const server = app.listen(config.PORT, () => logger.info({ port: config.PORT }, 'Ferry API listening'));

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    server.close(async () => {
      await metricsServer.close();
      await pool?.end();
      await temporal.connection.close();
      await tracing?.shutdown().catch((err: unknown) => logger.warn({ err }, 'flushing traces failed'));
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
