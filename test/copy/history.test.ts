// A 20,000-item plan: every workflow's history stays far below Temporal's 10,240-event warning, the
// progress query answers while pages run, and the summary counts every item once.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createCopyActivities } from '../../activities/copy';
import { PlanStore } from '../../activities/copy/plan-store';
import { createPool } from '../../lib/db';
import { copyProgressQuery, type CopyPlanItem, type CopyProgress } from '../../lib/jobs/copy-to-cloud';
import { createLogger } from '../../lib/logger';
import { copyToCloud } from '../../workflows';
import { testConfig } from '../helpers/config';
import { testClient, uniqueTaskQueue, withWorker } from '../helpers/temporal';
import { alreadyThereDestination } from './memory-destination';

const pool = createPool(inject('databaseUrl'));
afterAll(() => pool.end());

function* items(n: number): Iterable<CopyPlanItem> {
  for (let i = 0; i < n; i++) {
    yield {
      key: `h${i}`,
      relPath: `d${i % 7}/f${i}.jpg`,
      sourceUrl: `https://src.test/${i}`,
      size: 100,
      md5: '0'.repeat(32),
    };
  }
}

async function historyLength(client: Awaited<ReturnType<typeof testClient>>, workflowId: string, runId?: string) {
  const h = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return h.events?.length ?? 0;
}

describe('copyToCloud at scale', () => {
  it('copies a 20,000-item plan with every history under 10,000 events', { timeout: 120_000 }, async () => {
    const config = testConfig();
    const store = new PlanStore(pool);
    const planId = `big-${randomUUID()}`;
    const plan = await store.save(planId, items(20_000));
    const dest = alreadyThereDestination();
    const activities = createCopyActivities(
      { config, logger: createLogger({ level: 'silent' }), pool },
      { destinationFor: () => dest },
    );
    const taskQueue = uniqueTaskQueue('copy-history');
    const client = await testClient(config);
    const workflowId = `copy-history-${randomUUID()}`;

    const summary = await withWorker({ activities, taskQueue, config }, async () => {
      const handle = await client.workflow.start(copyToCloud, {
        taskQueue,
        workflowId,
        args: [
          {
            plan,
            destination: { cloud: 'yadisk', rootFolder: 'Big', credentials: { cloud: 'yadisk', token: 't' } },
            options: { concurrency: 48 },
          },
        ],
      });
      let seen: CopyProgress | undefined;
      for (let i = 0; i < 200 && !(seen && seen.alreadyThere > 0); i++) {
        await new Promise((r) => setTimeout(r, 250));
        seen = await handle.query(copyProgressQuery);
      }
      expect(seen?.total).toBe(20_000);
      expect(seen?.alreadyThere).toBeGreaterThan(0);
      return handle.result();
    });

    expect(summary).toMatchObject({
      planId,
      total: 20_000,
      alreadyThere: 20_000,
      copied: 0,
      failed: 0,
      bytesDone: 2_000_000,
    });
    expect(dest.probes).toBe(20_000);

    // The parent's runs (continue-as-new) and every page child.
    const lengths: number[] = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH "${workflowId}"` })) {
      lengths.push(await historyLength(client, wf.workflowId, wf.runId));
    }
    expect(lengths.length).toBeGreaterThanOrEqual(41); // 40 pages + at least one parent run
    expect(Math.max(...lengths)).toBeLessThan(10_000);
    console.log(`history: ${lengths.length} workflows, max ${Math.max(...lengths)} events`);
  });
});
