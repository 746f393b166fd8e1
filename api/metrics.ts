// Request metrics for the API, served on GET /metrics in Prometheus text: a counter and a latency
// histogram by method, route template and status, plus Node's process metrics. Labels use the matched
// route template (`/jobs/:id`), never the raw URL, so ids do not explode the series count.
import { Router, type NextFunction, type Request, type Response } from 'express';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { ApiDeps } from './deps';
import { registry as openapi, z } from './openapi';
import { registerTransfersMetric } from './transfers-metric';

openapi.registerPath({
  method: 'get',
  path: '/metrics',
  summary: 'Prometheus metrics: request counts and latencies by route, transfers by status, process metrics',
  responses: { 200: { description: 'Prometheus text exposition', content: { 'text/plain': { schema: z.string() } } } },
});

/** The matched route template (`/jobs/:id`), or `unmatched`: also the name of a request's span (api/tracing.ts). */
export function routeLabel(req: Request): string {
  // req.route is set once a route matched; baseUrl carries the mount path of a nested router.
  const route = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof route === 'string') return `${req.baseUrl}${route}` || '/';
  return 'unmatched';
}

/**
 * One registry per app: tests build several apps in one process without clashing metric names. With
 * `deps`, also ferry_transfers (api/transfers-metric.ts), counted in Temporal at scrape time.
 */
export function metricsRoutes(deps?: Pick<ApiDeps, 'temporal' | 'config' | 'logger'>): Router {
  const register = new Registry();
  collectDefaultMetrics({ register, prefix: 'ferry_api_' });
  if (deps) {
    registerTransfersMetric(register, {
      temporal: deps.temporal,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      logger: deps.logger,
    });
  }
  const requests = new Counter({
    name: 'ferry_api_http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [register],
  });
  const duration = new Histogram({
    name: 'ferry_api_http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [register],
  });

  const router = Router();
  router.use((req: Request, res: Response, next: NextFunction) => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const labels = { method: req.method, route: routeLabel(req), status: String(res.statusCode) };
      requests.inc(labels);
      duration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  });
  router.get('/metrics', async (_req, res, next) => {
    try {
      res.type(register.contentType).send(await register.metrics());
    } catch (err) {
      next(err);
    }
  });
  return router;
}
