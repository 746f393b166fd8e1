// The Express app factory: testable without listening. Public routes come first; each job's routes
// module is mounted in operatorRoutes (api/auth.ts), where every request needs FERRY_API_TOKEN.
import express from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { assertApiConfig } from '../lib/config';
import { operatorRoutes } from './auth';
import type { ApiDeps } from './deps';
import { errorHandler, notFound } from './errors';
import { createApiMetrics } from './metrics';
import { openApiDocument } from './openapi';
import { scrubSecretParams } from './oauth/scrub';
import { traceRequests } from './tracing';
import { cloudArchiveRoutes } from './routes/cloud-archive';
import { backupScheduleRoutes } from './routes/backup-schedules';
import { codecRoutes } from './routes/codec';
import { docsRoutes } from './routes/docs';
import { etlRunsRoutes } from './routes/etl-runs';
import { healthRoutes } from './routes/health';
import { okBackupRoutes, vkBackupRoutes } from './routes/photo-backup-routes';

export function createApp(deps: ApiDeps): express.Express {
  assertApiConfig(deps.config); // in production: FERRY_API_TOKEN and a strong FERRY_CODEC_TOKEN
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  if (deps.tracing) app.use(traceRequests()); // first: everything below runs inside the request's span
  app.use(
    pinoHttp({
      logger: deps.logger,
      // Probes every few seconds would drown the request log.
      autoLogging: { ignore: (req) => ['/healthz', '/readyz'].includes(req.url ?? '') },
      serializers: { req: scrubSecretParams }, // OAuth callbacks carry a one-time code in the query
    }),
  );
  // First after logging: it times every request below. Served on API_METRICS_PORT, not here.
  app.use((deps.metrics ?? createApiMetrics()).middleware);
  app.use(express.json({ limit: deps.config.API_BODY_LIMIT }));
  app.use(express.urlencoded({ extended: false, limit: deps.config.API_BODY_LIMIT }));
  app.use(healthRoutes(deps));
  // Before helmet: the Web UI calls the codec cross-origin, which helmet's CORP header would forbid.
  app.use(codecRoutes(deps));
  app.use(helmet());
  // Public: the gallery's flow (its own rate limit, single-use OAuth state) and the API's documentation.
  app.use(cloudArchiveRoutes(deps));
  app.use(docsRoutes(() => openApiDocument(deps.config.FERRY_PUBLIC_URL)));
  // Operators only, from here on: anything not matched above needs the bearer token.
  app.use(
    operatorRoutes(
      deps.config,
      vkBackupRoutes(deps),
      etlRunsRoutes(deps),
      okBackupRoutes(deps),
      backupScheduleRoutes(deps),
    ),
  );
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
