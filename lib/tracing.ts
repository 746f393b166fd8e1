// OpenTelemetry traces: one trace from the HTTP request that starts a transfer, through Temporal (the
// SDK's own interceptors carry the context in workflow and activity headers) to every file the copy
// engine copies. Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; then spans go over OTLP/HTTP to that
// collector. Only that switch and OTEL_SERVICE_NAME are Ferry's configuration (lib/config.ts); the OTel
// SDK reads every other standard OTEL_* variable itself (headers, sampler, batch sizes, resource
// attributes, a traces-only endpoint). docs/observability.md lists them.
import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Config } from './config';

/** What the Temporal client and worker need to take part in a trace (lib/temporal.ts, workers/worker.ts). */
export interface Tracing {
  /** Every span this process ends, the workflow sandbox's included (they arrive through a sink). */
  spanProcessor: SpanProcessor;
  resource: Resource;
  /** Flushes the spans still buffered and stops the exporter. */
  shutdown(): Promise<void>;
}

/**
 * Registers this process's tracer provider with `spanProcessor` (the OTLP exporter in production, an
 * in-memory one in tests). Once per process: OpenTelemetry's global provider cannot be replaced.
 */
export function installTracing(options: {
  serviceName: string;
  spanProcessor: SpanProcessor;
  attributes?: Attributes;
}): Tracing {
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the env detector) win over Ferry's defaults.
  const resource = Resource.default()
    .merge(new Resource({ [ATTR_SERVICE_NAME]: options.serviceName, ...options.attributes }))
    .merge(envDetectorSync.detect());
  const provider = new NodeTracerProvider({
    resource,
    mergeResourceWithDefaults: false,
    spanProcessors: [options.spanProcessor],
  });
  // Also installs the AsyncLocalStorage context manager and the W3C trace-context propagator
  // (OTEL_PROPAGATORS to change it): an incoming `traceparent` header continues the caller's trace.
  provider.register();
  return { spanProcessor: options.spanProcessor, resource, shutdown: () => provider.shutdown() };
}

/** Tracing for a Ferry process, or undefined (nothing installed, no overhead) without an endpoint. */
export function startTracing(
  config: Pick<Config, 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_SERVICE_NAME'>,
  defaultServiceName: string,
  attributes?: Attributes,
): Tracing | undefined {
  if (!config.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  return installTracing({
    serviceName: config.OTEL_SERVICE_NAME ?? defaultServiceName,
    // No options: the exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, _TIMEOUT and
    // _COMPRESSION itself; the batch processor reads OTEL_BSP_*.
    spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter()),
    attributes,
  });
}

/**
 * Runs `fn` in a span of its own when it runs inside a trace (a traced activity), else just runs it:
 * an activity of an untraced workflow makes no root spans of its own, and with tracing off this is one
 * lookup of the active context.
 */
export async function inChildSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span?: Span) => Promise<T>,
): Promise<T> {
  if (!trace.getActiveSpan()) return fn(undefined);
  return trace.getTracer('ferry').startActiveSpan(name, { attributes }, async (span) => {
    try {
      const result = await fn(span);
      span.setStatus({ code: SpanStatusCode.OK });
      return result;
    } catch (err) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}
