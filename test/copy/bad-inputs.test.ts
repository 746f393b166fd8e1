// What goes wrong for real users: a source that is gone, a source that keeps sending wrong bytes, a
// full drive, a revoked token, and a user's own file holding the name. Each ends as a failed (or
// renamed) item with a clear reason; none fails the copy; nothing is overwritten.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCopyActivities } from '../../activities/copy';
import { PlanStore } from '../../activities/copy/plan-store';
import type { CopyPlanItem, CopySummary, DestinationSpec } from '../../lib/jobs/copy-to-cloud';
import { createPool } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { copyToCloud } from '../../workflows';
import { FOLDER_MIME } from '../../fakes/google-drive';
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

async function copyAll(jobs: Array<{ items: CopyPlanItem[]; destination: DestinationSpec }>): Promise<CopySummary[]> {
  const activities = createCopyActivities({ config: stack.config, logger: createLogger({ level: 'silent' }), pool });
  const taskQueue = uniqueTaskQueue('copy-bad');
  const client = await testClient(stack.config);
  const store = new PlanStore(pool);
  return withWorker({ activities, taskQueue, config: stack.config }, async () =>
    Promise.all(
      jobs.map(async ({ items, destination }) =>
        client.workflow.execute(copyToCloud, {
          taskQueue,
          workflowId: `copy-bad-${randomUUID()}`,
          args: [
            {
              plan: await store.save(`bad-${randomUUID()}`, items),
              destination,
              options: { allowPrivateNetwork: true, maxAttempts: 3 },
            },
          ],
        }),
      ),
    ),
  );
}

const failureOf = (s: CopySummary, key: string) => s.failures.find((f) => f.key === key)?.error;

describe('copyToCloud with bad inputs', () => {
  it('reports a gone source, corrupt bytes and a name collision per item, on both clouds', async () => {
    const { source, drive, yandex } = stack;
    const jobs = (['drive', 'yandex'] as const).map((cloud) => {
      const root = `Bad ${cloud} ${randomUUID().slice(0, 6)}`;
      const [good, corrupt, collide] = stack.makeFiles(`bad-${cloud}`, 3, () => 20_000);
      source.injectFault({ kind: 'corrupt', at: 777 }, { path: new URL(corrupt!.sourceUrl).pathname, times: 100 });
      const gone: CopyPlanItem = {
        key: `gone-${cloud}`,
        relPath: 'gone.jpg',
        sourceUrl: source.urlOf(`/nowhere-${cloud}.jpg`),
      };
      const collision = { ...collide!, relPath: 'mine.jpg' };
      return { cloud, root, good: good!, corrupt: corrupt!, collision, gone };
    });
    // The user's own files hold the name `mine.jpg` in both roots.
    const mine = randomBytes(1234);
    const driveRoot = drive.addFile({ name: jobs[0]!.root, parentId: drive.rootId, mimeType: FOLDER_MIME });
    drive.addFile({ name: 'mine.jpg', parentId: driveRoot.id, content: mine });
    yandex.addFile(`disk:/${jobs[1]!.root}`);
    yandex.addFile(`disk:/${jobs[1]!.root}/mine.jpg`, mine);

    const summaries = await copyAll(
      jobs.map((j) => ({
        items: [j.good, j.corrupt, j.collision, j.gone],
        destination: j.cloud === 'drive' ? stack.driveSpec(j.root) : stack.yandexSpec(j.root),
      })),
    );

    for (const [i, s] of summaries.entries()) {
      const j = jobs[i]!;
      expect(s).toMatchObject({ total: 4, copied: 2, failed: 2 });
      expect(failureOf(s, j.gone.key)).toMatchObject({ type: 'SourceNotFound', message: expect.stringMatching(/404/) });
      expect(failureOf(s, j.corrupt.key)).toMatchObject({
        type: 'ChecksumMismatch',
        message: expect.stringMatching(/crc32|md5/),
      });
      expect(s.renamed).toEqual([
        expect.objectContaining({
          key: j.collision.key,
          renamedFrom: 'mine.jpg',
          destinationPath: expect.stringContaining('mine ('),
        }),
      ]);
      // Gone is final: one request, not five.
      expect(source.stats().byPath[`/nowhere-${j.cloud}.jpg`]?.requests).toBe(1);
      // The corrupt source was read once per attempt (maxAttempts 3) and left nothing behind.
      expect(source.stats().byPath[new URL(j.corrupt.sourceUrl).pathname]?.requests).toBe(3);
    }
    const driveFiles = drive.files().filter((f) => !f.trashed && f.parents.includes(driveRoot.id));
    expect(driveFiles.filter((f) => f.name === 'mine.jpg').map((f) => f.md5)).toEqual([
      drive.findByName('mine.jpg')[0]!.md5,
    ]);
    expect(drive.findByName('mine.jpg')[0]!.content).toEqual(mine);
    expect(drive.findByName(jobs[0]!.corrupt.relPath.split('/').pop()!).filter((f) => !f.trashed)).toEqual([]);
    expect(yandex.node(`disk:/${jobs[1]!.root}/mine.jpg`)?.content).toEqual(mine);
    const renamedOnYandex = yandex.nodes().filter((n) => n.md5 === jobs[1]!.collision.md5);
    expect(renamedOnYandex.map((n) => n.path)).toEqual([
      expect.stringMatching(/^disk:\/Bad yandex .+\/mine \(\d+\)\.jpg$/),
    ]);
    expect(yandex.node(`disk:/${jobs[1]!.root}/${jobs[1]!.corrupt.relPath}`)).toBeUndefined();
  });

  it('stops at once with a clear reason when the drive is full or the token was revoked', async () => {
    const { drive, yandex, googleOAuth, yandexOAuth } = stack;
    const [a, b, c, d] = stack.makeFiles('stop', 4, () => 50_000);
    const revokedDrive = stack.driveSpec(`Revoked ${randomUUID().slice(0, 6)}`);
    googleOAuth.revokeRefreshToken((revokedDrive.credentials as { refreshToken: string }).refreshToken);
    const revokedYandex = stack.yandexSpec(`Revoked ${randomUUID().slice(0, 6)}`);
    yandexOAuth.revoke((revokedYandex.credentials as { token: string }).token);
    drive.setQuota(1);
    yandex.setQuota(1);
    try {
      const [fullDrive, fullYandex, goneDrive, goneYandex] = await copyAll([
        { items: [a!], destination: stack.driveSpec(`Full ${randomUUID().slice(0, 6)}`) },
        { items: [b!], destination: stack.yandexSpec(`Full ${randomUUID().slice(0, 6)}`) },
        { items: [c!], destination: revokedDrive },
        { items: [d!], destination: revokedYandex },
      ]);
      expect(failureOf(fullDrive!, a!.key)).toMatchObject({
        type: 'QuotaExhausted',
        message: expect.stringMatching(/quota/i),
      });
      expect(failureOf(fullYandex!, b!.key)).toMatchObject({ type: 'QuotaExhausted' });
      expect(failureOf(goneDrive!, c!.key)).toMatchObject({
        type: 'AuthRevoked',
        message: expect.stringMatching(/reconnect|revoked|invalid/i),
      });
      expect(failureOf(goneYandex!, d!.key)).toMatchObject({ type: 'AuthRevoked' });
      // Non-retryable: each source was read at most once.
      for (const item of [a!, b!])
        expect(stack.source.stats().byPath[new URL(item.sourceUrl).pathname]?.requests ?? 0).toBeLessThanOrEqual(1);
    } finally {
      drive.setQuota(Infinity);
      yandex.setQuota(Infinity);
    }
  });
});
