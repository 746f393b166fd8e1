// Test helpers on the real Temporal dev server: a client with Ferry's encrypted data converter, and a
// worker on a task queue of the test's own, running the chosen activities while a callback runs.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { afterAll, inject } from 'vitest';
import type { Config } from '../../lib/config';
import { ferryDataConverter } from '../../lib/codec';
import { clientInterceptors } from '../../lib/temporal';
import type { Tracing } from '../../lib/tracing';
import { createFerryWorker } from '../../workers/worker';
import { testConfig } from './config';

let runtimeInstalled = false;
function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed in this process.
  }
}

export const uniqueTaskQueue = (name = 'test') => `${name}-${randomUUID().slice(0, 8)}`;

const connections: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  await Promise.all(connections.map((c) => c.close().catch(() => undefined)));
});

export async function testClient(config: Config = testConfig(), options: { tracing?: Tracing } = {}): Promise<Client> {
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  connections.push(connection);
  return new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: ferryDataConverter(config.encryptionKeys),
    interceptors: clientInterceptors(options.tracing),
  });
}

/** Runs a worker with `activities` on `taskQueue` until `fn` settles; returns what `fn` returns. */
export async function withWorker<T>(
  options: { activities: object; taskQueue: string; config?: Config; tracing?: Tracing },
  fn: () => Promise<T>,
): Promise<T> {
  quietRuntime();
  const config = options.config ?? testConfig();
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const worker = await createFerryWorker({
      config,
      connection,
      activities: options.activities,
      taskQueue: options.taskQueue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      tracing: options.tracing,
    });
    return await worker.runUntil(fn);
  } finally {
    await connection.close();
  }
}
