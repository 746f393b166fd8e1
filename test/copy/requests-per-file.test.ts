// Requests per small file, counted by the fakes themselves: against a real cloud the request quota is
// the throughput (issue 16). A batch of photos into Drive costs its uploads and one listing per folder
// (≤ 1.2 a file); into Yandex the upload link, the PUT and the PATCH whose answer proves the md5
// (≤ 3.2 a file). A re-run costs the listings only.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCopyActivities } from '../../activities/copy';
import { PlanStore } from '../../activities/copy/plan-store';
import type { CopyPlanItem, CopySummary, DestinationSpec } from '../../lib/jobs/copy-to-cloud';
import { createPool } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { copyToCloud } from '../../workflows';
import type { RequestCounts } from '../../fakes/request-counts';
import { testClient, uniqueTaskQueue, withWorker } from '../helpers/temporal';
import { startCopyStack, type CopyStack } from './stack';

const FILES = 120;
const pool = createPool(inject('databaseUrl'));
let stack: CopyStack;
beforeAll(async () => {
  stack = await startCopyStack();
});
afterAll(async () => {
  await stack?.close();
  await pool.end();
});

/** Copies `items` to `destination`; answers the summary and the requests the cloud's fake answered meanwhile. */
async function copy(items: CopyPlanItem[], destination: DestinationSpec, counts: () => RequestCounts) {
  const plan = await new PlanStore(pool).save(`requests-${randomUUID()}`, items);
  const activities = createCopyActivities({ config: stack.config, logger: createLogger({ level: 'silent' }), pool });
  const taskQueue = uniqueTaskQueue('copy-requests');
  const client = await testClient(stack.config);
  const before = counts();
  const summary = (await withWorker({ activities, taskQueue, config: stack.config }, () =>
    client.workflow.execute(copyToCloud, {
      taskQueue,
      workflowId: `copy-requests-${destination.cloud}-${randomUUID()}`,
      args: [{ plan, destination, options: { allowPrivateNetwork: true, concurrency: 12 } }],
    }),
  )) as CopySummary;
  const after = counts();
  const byKind = Object.fromEntries(
    Object.entries(after.byKind)
      .map(([k, v]) => [k, v - (before.byKind[k] ?? 0)])
      .filter(([, v]) => v),
  );
  return { summary, perFile: (after.total - before.total) / items.length, byKind };
}

/** Photos in three albums, interleaved in plan order; `withMd5` false is a gallery listing (CRC-32 only). */
const photos = (prefix: string, withMd5 = true) =>
  stack.makeFiles(prefix, FILES).map(({ md5, ...item }) => (withMd5 ? { ...item, md5 } : item));

describe('requests per small file', () => {
  it('Drive: one upload a file, tags in its metadata, one listing per folder; a re-run lists only', async () => {
    const items = photos(`d${randomUUID().slice(0, 4)}`);
    const spec = stack.driveSpec(`Requests ${randomUUID().slice(0, 6)}`);
    const first = await copy(items, spec, stack.drive.requestCounts);
    expect(first.summary).toMatchObject({ copied: FILES, failed: 0 });
    expect(first.byKind['upload (multipart)']).toBe(FILES);
    expect(first.byKind['files.update']).toBeUndefined();
    expect(first.byKind['files.get']).toBeUndefined();
    expect(first.perFile, JSON.stringify(first.byKind)).toBeLessThanOrEqual(1.2);

    const again = await copy(items, spec, stack.drive.requestCounts);
    expect(again.summary).toMatchObject({ copied: 0, alreadyThere: FILES });
    expect(again.perFile, JSON.stringify(again.byKind)).toBeLessThanOrEqual(0.1);
  });

  it('Drive: a gallery plan without md5 is verified by the upload answer, never tagged by a PATCH', async () => {
    const items = photos(`g${randomUUID().slice(0, 4)}`, false);
    const first = await copy(items, stack.driveSpec(`Requests ${randomUUID().slice(0, 6)}`), stack.drive.requestCounts);
    expect(first.summary).toMatchObject({ copied: FILES, failed: 0 });
    expect(first.byKind['files.update']).toBeUndefined();
    expect(first.perFile, JSON.stringify(first.byKind)).toBeLessThanOrEqual(1.2);
  });

  it('Drive: a page whose photos interleave 60 albums still lists each album once', async () => {
    // More folders in one page than a small listing cache holds: each batch would evict the listings
    // the next batches need, and every photo would cost a probe of its own again.
    const items = stack.makeFiles(`a${randomUUID().slice(0, 4)}`, FILES, undefined, 60);
    const first = await copy(items, stack.driveSpec(`Requests ${randomUUID().slice(0, 6)}`), stack.drive.requestCounts);
    expect(first.summary).toMatchObject({ copied: FILES, failed: 0 });
    // Per folder: its lookup, the check after its creation and one listing; per photo: its upload.
    expect(first.byKind['files.list'], JSON.stringify(first.byKind)).toBeLessThanOrEqual(3 * 62);
    expect(first.byKind['upload (multipart)']).toBe(FILES);
  });

  it('Yandex: upload link, PUT and the tagging PATCH a file, no operation poll, one listing per folder', async () => {
    const items = photos(`y${randomUUID().slice(0, 4)}`);
    const spec = stack.yandexSpec(`Requests ${randomUUID().slice(0, 6)}`);
    const first = await copy(items, spec, stack.yandex.requestCounts);
    expect(first.summary).toMatchObject({ copied: FILES, failed: 0 });
    expect(first.byKind).toMatchObject({ 'upload link': FILES, 'upload PUT': FILES, 'resources patch': FILES });
    expect(first.byKind['operation status']).toBeUndefined();
    expect(first.perFile, JSON.stringify(first.byKind)).toBeLessThanOrEqual(3.2);

    const again = await copy(items, spec, stack.yandex.requestCounts);
    expect(again.summary).toMatchObject({ copied: 0, alreadyThere: FILES });
    expect(again.perFile, JSON.stringify(again.byKind)).toBeLessThanOrEqual(0.1);
  });
});
