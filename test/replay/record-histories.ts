// Records the histories test/replay/replay.test.ts replays, on a dev server of its own:
//   bash scripts/ferry.sh run test/replay/record-histories.ts
// Re-record on purpose only, with the commit that may change what a workflow issues: workflows already
// running replay the old histories, so a change that breaks them needs a patched() gate instead.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH, ferryDataConverter } from '../../lib/codec';
import { FERRY_SEARCH_ATTRIBUTES } from '../../lib/search-attributes';
import { tracingWorkerParts, WORKFLOW_INTERCEPTOR_MODULES } from '../../workers/tracing';
import { WORKFLOWS_PATH } from '../../workers/worker';
import { startDevServer } from '../../dev/temporal-dev-server';
import { copyActivities, encodeHistories, galleryActivities, HISTORIES_DIR, REPLAY_KEY, SCENARIOS } from './scenarios';

Runtime.install({ logger: new DefaultLogger('WARN') });
const { env, address } = await startDevServer({ searchAttributes: FERRY_SEARCH_ATTRIBUTES });
try {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  const dataConverter = ferryDataConverter([REPLAY_KEY]);
  const connection = await NativeConnection.connect({ address });
  const client = new Client({ connection: await Connection.connect({ address }), dataConverter });
  const taskQueue = 'replay-record';
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: { code },
    activities: { ...copyActivities(), ...galleryActivities() },
    sinks: tracingWorkerParts(undefined).sinks,
    dataConverter,
  });
  mkdirSync(HISTORIES_DIR, { recursive: true });
  await worker.runUntil(async () => {
    for (const scenario of SCENARIOS) {
      const { name, workflowIds } = await scenario(client, taskQueue);
      const histories = [];
      for (const workflowId of workflowIds) {
        histories.push({ workflowId, history: await client.workflow.getHandle(workflowId).fetchHistory() });
      }
      writeFileSync(`${HISTORIES_DIR}/${name}.bin`, encodeHistories(histories));
      console.log(`${name}: ${workflowIds.length} histories`);
    }
  });
  await connection.close();
} finally {
  await env.teardown();
}
