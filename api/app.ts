// The Express app factory: testable without listening. Each job adds its routes module here.
import express from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { ApiDeps } from './deps';
import { errorHandler, notFound } from './errors';
import { metricsRoutes } from './metrics';
import { openApiDocument } from './openapi';
import { scrubSecretParams } from './oauth/scrub';
import { cloudArchiveRoutes } from './routes/cloud-archive';
import { codecRoutes } from './routes/codec';
import { docsRoutes } from './routes/docs';
import { etlRunsRoutes } from './routes/etl-runs';
import { backupScheduleRoutes } from './routes/backup-schedules';
import { healthRoutes } from './routes/health';
import { okBackupRoutes } from './routes/ok-backups';
import { vkBackupRoutes } from './routes/vk-backups';

export function createApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  app.use(
    pinoHttp({
      logger: deps.logger,
      // Probes and scrapes every few seconds would drown the request log.
      autoLogging: { ignore: (req) => ['/healthz', '/readyz', '/metrics'].includes(req.url ?? '') },
      serializers: { req: scrubSecretParams }, // OAuth callbacks carry a one-time code in the query
    }),
  );
  app.use(metricsRoutes()); // first after logging: it times every request below and serves /metrics
  app.use(express.json({ limit: deps.config.API_BODY_LIMIT }));
  app.use(express.urlencoded({ extended: false, limit: deps.config.API_BODY_LIMIT }));
  app.use(healthRoutes(deps));
  // Before helmet: the Web UI calls the codec cross-origin, which helmet's CORP header would forbid.
  app.use(codecRoutes(deps));
  app.use(helmet());
  app.use(vkBackupRoutes(deps));
  app.use(okBackupRoutes(deps));
  app.use(backupScheduleRoutes(deps));
  app.use(cloudArchiveRoutes(deps));
  app.use(etlRunsRoutes(deps));
  app.use(docsRoutes(() => openApiDocument(deps.config.FERRY_PUBLIC_URL)));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
