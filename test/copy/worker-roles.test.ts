// WORKER_ROLE split, as Kubernetes runs it: a `workflows` worker and an `activities` worker on one task
// queue finish a copy together; every activity task runs on the activities worker, and the workflows
// worker runs only the workflows' local activity.
import { randomUUID } from 'node:crypto';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createCopyActivities } from '../../activities/copy';
import { PlanStore } from '../../activities/copy/plan-store';
import { createPool } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { copyToCloud } from '../../workflows';
import { createFerryWorker } from '../../workers/worker';
import { testConfig } from '../helpers/config';
import { testClient, uniqueTaskQueue } from '../helpers/temporal';
import { alreadyThereDestination } from './memory-destination';

const pool = createPool(inject('databaseUrl'));
afterAll(() => pool.end());

/** The activities of one worker, counting the calls each receives. */
function countedActivities(calls: Record<string, number>) {
  const activities = createCopyActivities(
    { config: testConfig(), logger: createLogger({ level: 'silent' }), pool },
    { destinationFor: () => alreadyThereDestination() },
  );
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      (...args: unknown[]) => {
        calls[name] = (calls[name] ?? 0) + 1;
        return (fn as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  );
}

describe('WORKER_ROLE', () => {
  it('a workflows worker and an activities worker share a copy, each doing only its part', async () => {
    const taskQueue = uniqueTaskQueue('roles');
    const onWorkflowsWorker: Record<string, number> = {};
    const onActivitiesWorker: Record<string, number> = {};
    const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    try {
      const start = (role: string, calls: Record<string, number>) =>
        createFerryWorker({
          config: testConfig({ WORKER_ROLE: role }),
          connection,
          activities: countedActivities(calls),
          taskQueue,
          workflowBundle: { codePath: inject('workflowBundlePath') },
        });
      const workflowsWorker = await start('workflows', onWorkflowsWorker);
      const activitiesWorker = await start('activities', onActivitiesWorker);

      const items = Array.from({ length: 30 }, (_, i) => ({
        key: `role-${i}`,
        relPath: `r/${i}.jpg`,
        sourceUrl: `https://src.test/${i}`,
        size: 100,
        md5: '0'.repeat(32),
      }));
      const plan = await new PlanStore(pool).save(`roles-${randomUUID()}`, items);
      const client = await testClient();
      const summary = await workflowsWorker.runUntil(() =>
        activitiesWorker.runUntil(() =>
          client.workflow.execute(copyToCloud, {
            taskQueue,
            workflowId: `roles-${randomUUID()}`,
            args: [
              {
                plan,
                destination: { cloud: 'yadisk', rootFolder: 'Roles', credentials: { cloud: 'yadisk', token: 't' } },
              },
            ],
          }),
        ),
      );

      expect(summary).toMatchObject({ total: 30, alreadyThere: 30, failed: 0 });
      expect(onWorkflowsWorker).toEqual({ resolveCopyOptions: 1 });
      expect(onActivitiesWorker.resolveCopyOptions).toBeUndefined();
      // The page read and the bulk "already there" check: activity tasks, so the activities worker's.
      expect(onActivitiesWorker.readPlanPage).toBeGreaterThan(0);
      expect(onActivitiesWorker.findPresent).toBeGreaterThan(0);
    } finally {
      await connection.close();
    }
  });

  it('rejects a role it does not know', () => {
    expect(() => testConfig({ WORKER_ROLE: 'both' })).toThrow(/WORKER_ROLE/);
  });
});
