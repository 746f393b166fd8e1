// The sticky workflow cache is sized by WORKER_MAX_CACHED_WORKFLOWS, not by the SDK's default (which
// grows with V8's heap limit: ~2,300 workflows on a 4 GB heap, each holding its state in the worker).
import { NativeConnection } from '@temporalio/worker';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { createFerryWorker } from '../../workers/worker';
import { testConfig } from '../helpers/config';
import { uniqueTaskQueue } from '../helpers/temporal';

const connections: NativeConnection[] = [];
afterAll(async () => {
  for (const c of connections) await c.close();
});

async function workerOptions(env: Record<string, string>) {
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  connections.push(connection);
  const worker = await createFerryWorker({
    config: testConfig({ WORKER_ROLE: 'workflows', ...env }),
    connection,
    activities: {},
    taskQueue: uniqueTaskQueue('cache'),
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
  // A created worker holds its connection until it has run and shut down.
  await worker.runUntil(Promise.resolve());
  const slots = (worker.options.tuner as { workflowTaskSlotSupplier: { numSlots: number } }).workflowTaskSlotSupplier;
  return { maxCachedWorkflows: worker.options.maxCachedWorkflows, workflowTaskSlots: slots.numSlots };
}

describe('WORKER_MAX_CACHED_WORKFLOWS', () => {
  it('defaults to 200 whatever the heap limit', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).WORKER_MAX_CACHED_WORKFLOWS).toBe(200);
  });

  it('sizes the worker cache', async () => {
    const options = await workerOptions({ WORKER_MAX_CACHED_WORKFLOWS: '37' });
    expect(options.maxCachedWorkflows).toBe(37);
    expect(options.workflowTaskSlots).toBe(16);
  });

  it('keeps concurrent workflow tasks within a small cache, so the SDK has nothing to correct', async () => {
    const options = await workerOptions({ WORKER_MAX_CACHED_WORKFLOWS: '5' });
    expect(options.maxCachedWorkflows).toBe(5);
    expect(options.workflowTaskSlots).toBe(5);
  });

  it('0 turns the cache off', async () => {
    const options = await workerOptions({ WORKER_MAX_CACHED_WORKFLOWS: '0' });
    expect(options.maxCachedWorkflows).toBe(0);
  });
});
