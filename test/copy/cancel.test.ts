// Cancelling a copy stops it cleanly: the running page and its uploads are cancelled (the activities see
// it through their heartbeats), the workflow ends as cancelled, and no partial file is left behind.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { createCopyActivities } from '../../activities/copy';
import { PlanStore } from '../../activities/copy/plan-store';
import { createPool } from '../../lib/db';
import { copyProgressQuery } from '../../lib/jobs/copy-to-cloud';
import { createLogger } from '../../lib/logger';
import { copyToCloud } from '../../workflows';
import { testClient, uniqueTaskQueue, withWorker } from '../helpers/temporal';
import { startCopyStack, type CopyStack } from './stack';

const pool = createPool(inject('databaseUrl'));
let stack: CopyStack;
beforeAll(async () => {
  stack = await startCopyStack();
});
afterAll(async () => {
  await stack?.close();
  await pool.end();
});

describe('copyToCloud cancellation', () => {
  // A heartbeat timeout of 60 s would let the SDK hold heartbeats (and so the cancel in their answer)
  // for 48 s; the worker caps that at 5 s (workers/worker.ts), so the cancel lands within seconds.
  it.each([5, 60])(
    'stops the running uploads and ends as cancelled (heartbeat timeout %i s)',
    async (heartbeatTimeoutSeconds) => {
      const items = stack.makeFiles('cancel', 6, () => 3 * 1024 * 1024);
      for (const item of items) {
        stack.source.injectFault(
          { kind: 'slow', bytesPerSec: 256 * 1024 },
          { path: new URL(item.sourceUrl).pathname, times: 10 },
        );
      }
      const plan = await new PlanStore(pool).save(`cancel-${randomUUID()}`, items);
      const activities = createCopyActivities({
        config: stack.config,
        logger: createLogger({ level: 'silent' }),
        pool,
      });
      const taskQueue = uniqueTaskQueue('copy-cancel');
      const client = await testClient(stack.config);
      const root = `Cancel ${randomUUID().slice(0, 6)}`;
      await withWorker({ activities, taskQueue, config: stack.config }, async () => {
        const handle = await client.workflow.start(copyToCloud, {
          taskQueue,
          workflowId: `copy-cancel-${randomUUID()}`,
          args: [
            {
              plan,
              destination: stack.driveSpec(root),
              options: { allowPrivateNetwork: true, concurrency: 3, heartbeatTimeoutSeconds },
            },
          ],
        });
        for (let i = 0; i < 100; i++) {
          const p = await handle.query(copyProgressQuery).catch(() => undefined);
          if (stack.drive.sessions().length >= 3 && p) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(stack.drive.sessions().length).toBeGreaterThan(0);
        const t = Date.now();
        await handle.cancel();
        const err = await handle.result().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(WorkflowFailedError);
        expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
        expect(Date.now() - t).toBeLessThan(15_000);
        const page = client.workflow.getHandle(`${handle.workflowId}/page-0`);
        expect((await page.describe()).status.name).toBe('CANCELLED');
      });
      expect(stack.drive.files().filter((f) => f.name.endsWith('.bin'))).toEqual([]);
    },
  );
});
