// The worker's own fetch rules always apply: a copyToCloud input (written by whoever starts the
// workflow) may narrow them but cannot turn on the private network or swap the host list.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createCopyActivities } from '../../activities/copy';
import { PlanStore } from '../../activities/copy/plan-store';
import { sourcePolicy } from '../../activities/copy/source-policy';
import type { CopyOptions, CopyPlanItem, CopySummary } from '../../lib/jobs/copy-to-cloud';
import { createPool } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { copyToCloud } from '../../workflows';
import { testConfig } from '../helpers/config';
import { testClient, uniqueTaskQueue, withWorker } from '../helpers/temporal';
import { startCopyStack, type CopyStack } from './stack';

const pool = createPool(inject('databaseUrl'));
const stacks: CopyStack[] = [];
afterAll(async () => {
  await Promise.all(stacks.map((s) => s.close()));
  await pool.end();
});

describe('sourcePolicy', () => {
  const config = testConfig({
    GALLERY_FILE_HOSTS: 'up-d.lite.gallery',
    VK_FILE_HOSTS: 'userapi.com',
    OK_FILE_HOSTS: 'okcdn.ru',
  });

  it('uses the worker’s hosts when the input names none, and keeps only the input hosts they cover', () => {
    expect(sourcePolicy(config, {}).allowedSourceHosts).toEqual(['up-d.lite.gallery', 'userapi.com', 'okcdn.ru']);
    expect(
      sourcePolicy(config, {
        allowedSourceHosts: ['sun9-1.userapi.com', 'evil.example', 'lite.gallery', 'i.okcdn.ru'],
      }).allowedSourceHosts,
    ).toEqual(['sun9-1.userapi.com', 'i.okcdn.ru']);
  });

  it('never turns the private network on from the input', async () => {
    expect(sourcePolicy(config, { allowPrivateNetwork: true }).allowPrivateNetwork).toBe(false);
    const open = testConfig({ FERRY_ALLOW_PRIVATE_NETWORK: '1' });
    expect(sourcePolicy(open, {}).allowPrivateNetwork).toBe(true);
    expect(sourcePolicy(open, { allowPrivateNetwork: false }).allowPrivateNetwork).toBe(false);
    const activities = createCopyActivities({ config, logger: createLogger({ level: 'silent' }), pool });
    expect(await activities.resolveCopyOptions({ allowPrivateNetwork: true })).toMatchObject({
      allowPrivateNetwork: false,
      allowedSourceHosts: ['up-d.lite.gallery', 'userapi.com', 'okcdn.ru'],
    });
  });
});

async function copyWith(env: Record<string, string>, items: (s: CopyStack) => CopyPlanItem[], options: CopyOptions) {
  const stack = await startCopyStack({ env });
  stacks.push(stack);
  const plan = await new PlanStore(pool).save(`policy-${randomUUID()}`, items(stack));
  const activities = createCopyActivities({ config: stack.config, logger: createLogger({ level: 'silent' }), pool });
  const taskQueue = uniqueTaskQueue('copy-policy');
  const client = await testClient(stack.config);
  const summary: CopySummary = await withWorker({ activities, taskQueue, config: stack.config }, () =>
    client.workflow.execute(copyToCloud, {
      taskQueue,
      workflowId: `copy-policy-${randomUUID()}`,
      args: [{ plan, destination: stack.yandexSpec(`Policy ${randomUUID().slice(0, 6)}`), options }],
    }),
  );
  return { stack, summary };
}

describe('copyToCloud under the worker’s rules', () => {
  it('a workflow input asking for the private network gets none from a worker that does not allow it', async () => {
    const { stack, summary } = await copyWith(
      { FERRY_ALLOW_PRIVATE_NETWORK: '0' },
      (s) => s.makeFiles('policy-private', 2),
      { allowPrivateNetwork: true, maxAttempts: 2 },
    );
    expect(summary).toMatchObject({ copied: 0, failed: 2 });
    expect(summary.failures.map((f) => f.error?.type)).toEqual(['ForbiddenTarget', 'ForbiddenTarget']);
    expect(stack.source.stats().requests).toBe(0);
  });

  it('a workflow input naming its own host list cannot reach a host the worker does not allow', async () => {
    const { stack, summary } = await copyWith(
      {},
      (s) =>
        s.makeFiles('policy-hosts', 2).map((i) => ({ ...i, sourceUrl: i.sourceUrl.replace('127.0.0.1', 'localhost') })),
      { allowPrivateNetwork: true, allowedSourceHosts: ['localhost'], maxAttempts: 2 },
    );
    expect(summary).toMatchObject({ copied: 0, failed: 2 });
    expect(summary.failures[0]?.error).toMatchObject({ type: 'ForbiddenTarget' });
    expect(summary.failures[0]?.error?.message).toMatch(/localhost is not in the allowed hosts/);
    expect(stack.source.stats().requests).toBe(0);
  });
});
