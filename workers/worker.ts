// Builds the Ferry worker: the workflows and/or activities of one task queue (WORKER_ROLE), the shared
// encrypted data converter, and concurrency limits from the environment.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NativeConnection } from '@temporalio/worker';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import type { Config } from '../lib/config';
import { ferryDataConverter } from '../lib/codec';
import type { Tracing } from '../lib/tracing';
import { countActivityFailures } from './activity-metrics';
import { tracingWorkerParts, WORKFLOW_INTERCEPTOR_MODULES } from './tracing';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
/** Next to dist/worker.mjs, `npm run build` leaves the workflow bundle: no webpack run at start. */
const PREBUILT_BUNDLE = fileURLToPath(new URL('./workflow-bundle.js', import.meta.url));
/** The longest a running activity's heartbeat waits in the worker before it is sent to Temporal. */
const HEARTBEAT_THROTTLE = '5s';

/** A bundle already holds its workflow interceptor modules; bundling at start must be told them. */
function workflowsOption(given?: WorkerOptions['workflowBundle']): {
  source: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'>;
  workflowModules?: string[];
} {
  if (given) return { source: { workflowBundle: given } };
  if (existsSync(PREBUILT_BUNDLE)) return { source: { workflowBundle: { codePath: PREBUILT_BUNDLE } } };
  return { source: { workflowsPath: WORKFLOWS_PATH }, workflowModules: WORKFLOW_INTERCEPTOR_MODULES };
}

export async function createFerryWorker(options: {
  config: Config;
  connection: NativeConnection;
  activities: object;
  taskQueue?: string;
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Spans of traced workflows and activities go to its processor (lib/tracing.ts); none without. */
  tracing?: Tracing;
}): Promise<Worker> {
  const { config } = options;
  const role = config.WORKER_ROLE;
  const workflows = role !== 'activities' ? workflowsOption(options.workflowBundle) : undefined;
  const tracing = tracingWorkerParts(options.tracing);
  return Worker.create({
    connection: options.connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: options.taskQueue ?? config.TEMPORAL_TASK_QUEUE,
    // A worker given no workflows polls only activity tasks. A workflows worker keeps the activities for
    // the workflows' local activities (they run where the workflow runs) but polls no activity tasks.
    ...workflows?.source,
    activities: options.activities,
    interceptors: {
      activity: [countActivityFailures, ...tracing.activity],
      workflowModules: workflows?.workflowModules,
    },
    sinks: tracing.sinks,
    enableNonLocalActivities: role !== 'workflows',
    // In production the worker decodes only what Ferry's own clients encrypted (lib/codec.ts).
    dataConverter: ferryDataConverter(config.encryptionKeys, { requireEncrypted: config.NODE_ENV === 'production' }),
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    // The SDK refuses more concurrent workflow tasks than cached workflows (unless the cache is off).
    maxConcurrentWorkflowTaskExecutions:
      config.WORKER_MAX_CACHED_WORKFLOWS > 0
        ? Math.min(config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS, Math.max(2, config.WORKER_MAX_CACHED_WORKFLOWS))
        : config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    // Sized on purpose, not from the heap limit: docs/deploy.md#worker-memory says what one entry costs.
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    // On SIGTERM in-flight activities get this long to finish; the rest are handed back to Temporal
    // (they time out on heartbeat and are retried by another worker, resuming from their details).
    shutdownGraceTime: `${config.WORKER_SHUTDOWN_GRACE_SECONDS}s`,
    // Activities call heartbeat() often; the SDK sends one at most every min(0.8 x heartbeatTimeout,
    // this) (its default cap is 60 s: 24 s for a 30 s timeout). What a heartbeat carries is progress,
    // and the server's answer carries cancellation, so this bounds how stale progress is and how late
    // a cancel is noticed, at one RPC per running activity per interval. Resuming never waits for it:
    // upload checkpoints go to PostgreSQL as they happen (docs/crash-recovery.md).
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
    defaultHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
  });
}
