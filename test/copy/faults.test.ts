// 20% injected faults across a 200-file plan on both clouds (source errors, dropped and corrupted
// bodies, 5xx and rate limits at the destinations): every file arrives exactly once with the right
// checksum. Then the same plan again: nothing is uploaded and every item is reported already there.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCopyActivities } from '../../activities/copy';
import { PlanStore } from '../../activities/copy/plan-store';
import type { CopyPlanItem, CopySummary, DestinationSpec, PlanRef } from '../../lib/jobs/copy-to-cloud';
import { createPool } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { copyToCloud } from '../../workflows';
import { testClient, uniqueTaskQueue, withWorker } from '../helpers/temporal';
import { startCopyStack, type CopyStack } from './stack';

const pool = createPool(inject('databaseUrl'));
let stack: CopyStack;
let items: CopyPlanItem[];
let plan: PlanRef;
let drive: DestinationSpec;
let yandex: DestinationSpec;
const root = `Faults ${randomUUID().slice(0, 6)}`;

beforeAll(async () => {
  stack = await startCopyStack();
  // Mostly photos, plus ten files above the 1 MiB resumable cutoff (256 KiB chunks).
  items = stack.makeFiles('f', 200, (i) => (i % 20 === 0 ? 1_500_000 : 2048 + ((i * 7919) % 60_000)));
  plan = await new PlanStore(pool).save(`faults-${randomUUID()}`, items);
  drive = stack.driveSpec(root);
  yandex = stack.yandexSpec(root);
});
afterAll(async () => {
  await stack?.close();
  await pool.end();
});

async function runBoth(options: object): Promise<[CopySummary, CopySummary]> {
  const activities = createCopyActivities({ config: stack.config, logger: createLogger({ level: 'silent' }), pool });
  const taskQueue = uniqueTaskQueue('copy-faults');
  const client = await testClient(stack.config);
  return withWorker(
    { activities, taskQueue, config: stack.config },
    () =>
      Promise.all(
        [drive, yandex].map((destination) =>
          client.workflow.execute(copyToCloud, {
            taskQueue,
            workflowId: `copy-faults-${destination.cloud}-${randomUUID()}`,
            args: [
              {
                plan,
                destination,
                options: { allowPrivateNetwork: true, concurrency: 12, maxAttempts: 10, ...options },
              },
            ],
          }),
        ),
      ) as Promise<[CopySummary, CopySummary]>,
  );
}

function expectEveryFileOnce() {
  const driveFiles = stack.drive
    .files()
    .filter((f) => !f.trashed && f.mimeType !== 'application/vnd.google-apps.folder');
  const yandexFiles = stack.yandex.nodes().filter((n) => n.type === 'file');
  for (const item of items) {
    const name = item.relPath.split('/').pop()!;
    const onDrive = driveFiles.filter((f) => f.name === name);
    expect(onDrive, `${item.relPath} on Drive`).toHaveLength(1);
    expect(onDrive[0]).toMatchObject({ size: item.size, md5: item.md5 });
    const onYandex = yandexFiles.filter((n) => n.path === `disk:/${root}/${item.relPath}`);
    expect(onYandex, `${item.relPath} on Yandex`).toHaveLength(1);
    expect(onYandex[0]).toMatchObject({ size: item.size, md5: item.md5 });
  }
  expect(driveFiles).toHaveLength(items.length);
  expect(yandexFiles).toHaveLength(items.length);
}

describe('copyToCloud under faults', () => {
  it(
    'copies 200 files to both clouds through 20% injected faults, each exactly once and verified',
    { timeout: 150_000 },
    async () => {
      const { drive: d, yandex: y, source } = stack;
      // Source: one fault each on 20% of the files (both clouds read every file).
      items.forEach((item, i) => {
        if (i % 5 !== 0) return;
        const path = new URL(item.sourceUrl).pathname;
        const faults = [
          { kind: 'status', status: 500 },
          { kind: 'drop', afterBytes: 1000 },
          { kind: 'corrupt', at: 100 },
          { kind: 'status', status: 429, headers: { 'retry-after': '1' } },
        ] as const;
        source.injectFault(faults[(i / 5) % faults.length]!, { path: decodeURIComponent(path) });
      });
      // Destinations: 20% of upload requests misbehave.
      for (const [fakes, uploadPath] of [
        [d.faults, '/upload/drive/v3/files'],
        [y.faults, '/upload-target/'],
      ] as const) {
        fakes.add({ path: uploadPath, probability: 0.1, fault: { kind: 'status', status: 503 } });
        fakes.add({ path: uploadPath, probability: 0.05, fault: { kind: 'drop', afterBytes: 700 } });
        fakes.add({ path: uploadPath, probability: 0.05, fault: { kind: 'corrupt', offset: 5 } });
      }
      d.faults.add({
        method: 'GET',
        path: '/drive/v3/files',
        probability: 0.05,
        fault: { kind: 'status', status: 403, reason: 'userRateLimitExceeded', retryAfter: 1 },
      });
      y.faults.add({
        path: '/resources/upload',
        probability: 0.05,
        fault: { kind: 'status', status: 429, retryAfter: 1 },
      });

      const [onDrive, onYandex] = await runBoth({});
      d.faults.clear();
      y.faults.clear();
      source.clearFaults();

      for (const s of [onDrive, onYandex]) {
        expect(s.failures).toEqual([]);
        expect(s).toMatchObject({ total: 200, copied: 200, alreadyThere: 0, failed: 0 });
        expect(s.bytesDone).toBe(plan.totalBytes);
      }
      expect(d.faults.log.filter((r) => r.fault).length).toBeGreaterThan(20);
      expect(y.faults.log.filter((r) => r.fault).length).toBeGreaterThan(20);
      expectEveryFileOnce();
    },
  );

  it(
    'running the same plan again uploads nothing and reports every item already there',
    { timeout: 60_000 },
    async () => {
      const uploadsBefore = [
        stack.drive.log.filter((r) => r.path.startsWith('/upload')).length,
        stack.yandex.log.filter((r) => r.path.startsWith('/upload-target')).length,
      ];
      stack.source.resetStats();
      const [onDrive, onYandex] = await runBoth({});
      for (const s of [onDrive, onYandex]) {
        expect(s).toMatchObject({ total: 200, copied: 0, alreadyThere: 200, failed: 0, bytesDone: plan.totalBytes });
      }
      expect(stack.drive.log.filter((r) => r.path.startsWith('/upload')).length).toBe(uploadsBefore[0]);
      expect(stack.yandex.log.filter((r) => r.path.startsWith('/upload-target')).length).toBe(uploadsBefore[1]);
      expect(stack.source.stats().bytesServed).toBe(0);
      const report = await new PlanStore(pool).results(plan.planId, `yadisk:${root}`, { offset: 0, limit: 500 });
      expect(report).toHaveLength(200);
      expect(new Set(report.map((r) => r.status))).toEqual(new Set(['already_there']));
      expectEveryFileOnce();
    },
  );
});
