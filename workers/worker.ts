// Builds the Ferry worker: the workflows and/or activities of one task queue (WORKER_ROLE), the shared
// encrypted data converter, and concurrency limits from the environment.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NativeConnection } from '@temporalio/worker';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import type { Config } from '../lib/config';
import { ferryDataConverter } from '../lib/codec';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
/** Next to dist/worker.mjs, `npm run build` leaves the workflow bundle: no webpack run at start. */
const PREBUILT_BUNDLE = fileURLToPath(new URL('./workflow-bundle.js', import.meta.url));
/** The longest a running activity's heartbeat waits in the worker before it is sent to Temporal. */
const HEARTBEAT_THROTTLE = '5s';

function workflowsOption(given?: WorkerOptions['workflowBundle']): Partial<WorkerOptions> {
  if (given) return { workflowBundle: given };
  if (existsSync(PREBUILT_BUNDLE)) return { workflowBundle: { codePath: PREBUILT_BUNDLE } };
  return { workflowsPath: WORKFLOWS_PATH };
}

export async function createFerryWorker(options: {
  config: Config;
  connection: NativeConnection;
  activities: object;
  taskQueue?: string;
  workflowBundle?: WorkerOptions['workflowBundle'];
}): Promise<Worker> {
  const { config } = options;
  const role = config.WORKER_ROLE;
  return Worker.create({
    connection: options.connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: options.taskQueue ?? config.TEMPORAL_TASK_QUEUE,
    // A worker given no workflows polls only activity tasks. A workflows worker keeps the activities for
    // the workflows' local activities (they run where the workflow runs) but polls no activity tasks.
    ...(role !== 'activities' && workflowsOption(options.workflowBundle)),
    activities: options.activities,
    enableNonLocalActivities: role !== 'workflows',
    dataConverter: ferryDataConverter(config.encryptionKeys),
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
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
