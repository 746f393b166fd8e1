// A server span per API request (mounted only with tracing on), named by method and route template as
// OpenTelemetry's HTTP conventions ask (`POST /cloud_archive`), so the workflow a request starts is a
// child of it. A `traceparent` header from the caller (the gallery platform, a proxy) is continued.
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { routeLabel } from './metrics';

// Probes and scrapes every few seconds would be most of the traces and tell nothing.
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics']);

export function traceRequests(): RequestHandler {
  const tracer = trace.getTracer('ferry-api');
  return (req: Request, res: Response, next: NextFunction) => {
    if (UNTRACED.has(req.path)) return next();
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(
      req.method,
      // The path, never the query string: OAuth callbacks carry a one-time code in it.
      { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: req.method, [ATTR_URL_PATH]: req.path } },
      parent,
    );
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const route = routeLabel(req);
      if (route !== 'unmatched') {
        span.updateName(`${req.method} ${route}`);
        span.setAttribute(ATTR_HTTP_ROUTE, route);
      }
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
      // Server spans are errors for 5xx only: a 4xx is the client's mistake, answered correctly.
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      if (!res.writableFinished) span.setAttribute('ferry.http.aborted', true);
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    context.with(trace.setSpan(parent, span), next);
  };
}
