// Request metrics for the API in Prometheus text: a counter and a latency histogram by method, route
// template and status, plus Node's process metrics. Labels use the matched route template (`/jobs/:id`),
// never the raw URL, so ids do not explode the series count. They are served on their own port
// (API_METRICS_PORT), like the worker's, and never on the public one: the Ingress routes only the API's
// port, and Prometheus scrapes the pod directly.
import { createServer, type Server } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { Logger } from '../lib/logger';
import type { ApiDeps } from './deps';
import { registerTransfersMetric } from './transfers-metric';
import { listenOn, type ListeningServer } from '../lib/listen';

/** The matched route template (`/jobs/:id`), or `unmatched`: also the name of a request's span (api/tracing.ts). */
export function routeLabel(req: Request): string {
  // req.route is set once a route matched; baseUrl carries the mount path of a nested router.
  const route = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof route === 'string') return `${req.baseUrl}${route}` || '/';
  return 'unmatched';
}

export interface ApiMetrics {
  /** Times every request below it: mount it first after logging. */
  middleware: RequestHandler;
  registry: Registry;
}

/**
 * One registry per app: tests build several apps in one process without clashing metric names. With
 * `deps`, also ferry_transfers (api/transfers-metric.ts), counted in Temporal at scrape time.
 */
export function createApiMetrics(deps?: Pick<ApiDeps, 'temporal' | 'config' | 'logger'>): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ferry_api_' });
  if (deps) {
    registerTransfersMetric(registry, {
      temporal: deps.temporal,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      logger: deps.logger,
    });
  }
  const requests = new Counter({
    name: 'ferry_api_http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'ferry_api_http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const middleware = (req: Request, res: Response, next: NextFunction) => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const labels = { method: req.method, route: routeLabel(req), status: String(res.statusCode) };
      requests.inc(labels);
      duration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
  return { middleware, registry };
}

/** GET /metrics on `port` (0: any free port), nothing else. */
export async function startApiMetricsServer(options: {
  port: number;
  metrics: ApiMetrics;
  logger: Logger;
  host?: string;
}): Promise<ListeningServer> {
  const { registry } = options.metrics;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: object) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (path !== '/metrics') return json(404, { error: { code: 'not_found', message: `No route ${path}` } });
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: { code: 'method_not_allowed' } });
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: Error) => {
        options.logger.error({ err }, 'metrics scrape failed');
        json(500, { error: { code: 'metrics_failed', message: err.message } });
      },
    );
  });
  const listening = await listenOn(server, options.port, options.host);
  options.logger.info({ port: listening.port }, 'API metrics endpoint listening');
  return listening;
}
