// The worker's side of a trace. The workflow interceptors (workflows/tracing.ts) are always in the
// workflow bundle; they make spans only for a workflow started inside a trace, and hand them out of the
// sandbox through the `exporter` sink. Activities get Temporal's activity interceptors when this worker
// has tracing on, again only for an activity whose headers carry a trace context.
import { fileURLToPath } from 'node:url';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker/index.js';
import type { ActivityInterceptors, ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type { Context as ActivityContext } from '@temporalio/activity';
import type { Tracing } from '../lib/tracing';
import { TRACE_HEADER } from '../workflows/tracing';

/** Bundled next to the workflows: with `bundleWorkflowCode({ workflowInterceptorModules })` or by the worker. */
export const WORKFLOW_INTERCEPTOR_MODULES = [fileURLToPath(new URL('../workflows/tracing.ts', import.meta.url))];

function tracedActivity(ctx: ActivityContext): ActivityInterceptors {
  const otel = new OpenTelemetryActivityInboundInterceptor(ctx);
  return {
    inbound: {
      execute: (input, next) => (TRACE_HEADER in input.headers ? otel.execute(input, next) : next(input)),
    },
    // Activity log lines inside a traced activity carry its trace_id and span_id.
    outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
  };
}

/** A traced workflow may land on a worker without tracing: its spans are then dropped, not an error. */
const discardSpans: InjectedSinks<OpenTelemetrySinks> = { exporter: { export: { fn: () => undefined } } };

/**
 * Temporal's exporter copies the whole WorkflowInfo onto each workflow span (memo, search attributes,
 * the last failure): only what identifies the run goes out of the process.
 */
function workflowSpanExporter(tracing: Tracing): InjectedSinks<OpenTelemetrySinks> {
  const temporal = makeWorkflowExporter(tracing.spanProcessor, tracing.resource);
  const identity = (info: WorkflowInfo) => {
    const { workflowId, runId, workflowType, taskQueue, namespace, attempt } = info;
    return { workflowId, runId, workflowType, taskQueue, namespace, attempt } as unknown as WorkflowInfo;
  };
  return { exporter: { export: { fn: (info, spans) => temporal.export.fn(identity(info), spans) } } };
}

/** The sinks and activity interceptors a worker needs for tracing (or for safely having it off). */
export function tracingWorkerParts(tracing: Tracing | undefined): {
  sinks: InjectedSinks<OpenTelemetrySinks>;
  activity: ActivityInterceptorsFactory[];
} {
  if (!tracing) return { sinks: discardSpans, activity: [] };
  return {
    sinks: workflowSpanExporter(tracing),
    activity: [tracedActivity],
  };
}
