// Workflow interceptors for OpenTelemetry, bundled into every worker's workflow code (workers/worker.ts,
// scripts/build.ts, the tests' bundle) but not a workflow. A workflow is traced when its start carried
// a trace context (the header Temporal's client interceptor writes, or a traced parent's): Temporal's
// own interceptors then make its spans and hand the context on to its activities, children, signals and
// its continuation. Without one (tracing off in the API, a run the ETL schedule starts) they are never
// even loaded: no spans, no headers added to the history. The choice is read from the history, so every
// replay, on any worker, with tracing on or off there, makes the same one.
import type * as OtelWorkflow from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type {
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
  WorkflowInternalsInterceptor,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/** Where OpenTelemetryWorkflowClientInterceptor (and the outbound interceptor below) put the context. */
export const TRACE_HEADER = '_tracer-data';

interface Traced {
  inbound: OtelWorkflow.OpenTelemetryInboundInterceptor;
  outbound: OtelWorkflow.OpenTelemetryOutboundInterceptor;
  internals: OtelWorkflow.OpenTelemetryInternalsInterceptor;
}

function loadTracing(): Traced {
  // Loaded on first use: each workflow evaluates the modules it requires, and an untraced workflow
  // should not pay for the OpenTelemetry SDK's.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const otel = require('@temporalio/interceptors-opentelemetry/lib/workflow') as typeof OtelWorkflow;
  return {
    inbound: new otel.OpenTelemetryInboundInterceptor(),
    outbound: new otel.OpenTelemetryOutboundInterceptor(),
    internals: new otel.OpenTelemetryInternalsInterceptor(),
  };
}

/**
 * An interceptor whose `methods` each go to Temporal's interceptor once the workflow is traced
 * (`traced()` answers it), and straight to `next` until then.
 */
function whenTraced<I extends object>(traced: () => I | undefined, methods: ReadonlyArray<keyof I & string>): I {
  type Method = (this: I, input: unknown, next: (input: unknown) => unknown) => unknown;
  const pass = (method: keyof I & string) => (input: unknown, next: (input: unknown) => unknown) => {
    const target = traced();
    return target ? (target[method] as Method).call(target, input, next) : next(input);
  };
  return Object.fromEntries(methods.map((m) => [m, pass(m)])) as I;
}

export const interceptors = (): WorkflowInterceptors => {
  let traced: Traced | undefined;

  const inbound: WorkflowInboundCallsInterceptor = {
    execute(input, next) {
      if (TRACE_HEADER in input.headers) traced = loadTracing();
      return traced ? traced.inbound.execute(input, next) : next(input);
    },
    ...whenTraced<WorkflowInboundCallsInterceptor>(
      () => traced?.inbound,
      ['handleSignal', 'handleUpdate', 'validateUpdate', 'handleQuery'],
    ),
  };

  const outbound = whenTraced<WorkflowOutboundCallsInterceptor>(
    () => traced?.outbound,
    [
      'scheduleActivity',
      'scheduleLocalActivity',
      'startChildWorkflowExecution',
      'continueAsNew',
      'signalWorkflow',
      'startNexusOperation',
      // Workflow log lines of a traced run carry its trace_id and span_id.
      'getLogAttributes',
    ],
  );

  const internals = whenTraced<WorkflowInternalsInterceptor>(() => traced?.internals, ['dispose']);

  return { inbound: [inbound], outbound: [outbound], internals: [internals] };
};
