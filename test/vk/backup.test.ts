// vkBackup on the real Temporal server against the fakes: the default run, a re-run, both clouds at
// once, and one cloud failing (quota) without losing the other's copies.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBackup } from '../../client/backup-status';
import type { PhotoBackupInput } from '../../lib/jobs/photo-backup';
import { formatReport } from '../../lib/photo-naming';
import { vkBackup } from '../../workflows/vk-backup';
import { FOLDER_MIME } from '../../fakes/google-drive';
import { testClient } from '../helpers/temporal';
import { IVAN_REPORT, startWorld, YANDEX_TOKEN, yandexFolder, type World } from './harness';

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(() => world.close());

const EXPECTED = IVAN_REPORT;
const PHOTO_IDS = [9105, 9104, 9103, 9102, 9101];

async function backup(input: Partial<PhotoBackupInput> & Pick<PhotoBackupInput, 'targets'>) {
  const client = await testClient(world.config);
  return world.withWorker(() =>
    client.workflow.execute(vkBackup, {
      taskQueue: world.taskQueue,
      workflowId: `vk-backup-test-${randomUUID()}`,
      args: [{ user: 'ivan.petrov', sourceToken: world.vk.validToken, ...input }],
    }),
  );
}

const ivanPhoto = (id: number) => world.vk.users.find((u) => u.id === 1001)!.photos.find((p) => p.id === id)!;
const yandexTarget = () => ({ cloud: 'yadisk' as const, token: YANDEX_TOKEN });

function driveFolder(name: string) {
  const folder = world.drive.files().find((f) => f.name === name && f.mimeType === FOLDER_MIME && !f.trashed);
  const files = folder
    ? world.drive.files().filter((f) => f.parents.includes(folder.id) && !f.trashed && f.mimeType !== FOLDER_MIME)
    : [];
  return new Map(files.map((f) => [f.name, f.content]));
}

describe('vkBackup', () => {
  it('copies the 5 newest profile photos at their largest size, named by likes, with the report', async () => {
    const folder = `VK_${randomUUID().slice(0, 8)}`;
    const result = await backup({ targets: [yandexTarget()], folder });
    expect(result.report).toEqual(EXPECTED);
    expect(result.owner).toEqual({ id: '1001', name: 'Ivan Petrov' });
    expect(result.targets[0]).toMatchObject({ cloud: 'yadisk', status: 'done', summary: { copied: 5, failed: 0 } });

    const files = yandexFolder(world, folder);
    expect([...files.keys()].sort()).toEqual([...EXPECTED.map((e) => e.file_name), 'photos.json'].sort());
    EXPECTED.forEach((e, i) => {
      expect(files.get(e.file_name)?.equals(world.vk.fileBytes(ivanPhoto(PHOTO_IDS[i]!), e.size))).toBe(true);
    });
    expect(files.get('photos.json')?.toString()).toBe(formatReport(EXPECTED));
    // Yandex fetched every photo from VK's CDN itself (upload from URL): no byte went through the worker.
    const fromUrl = world.yandex.log.filter(
      (r) => r.method === 'POST' && r.path.endsWith('/resources/upload') && r.query.path?.includes(folder),
    );
    const urls = fromUrl.map((r) => r.query.url);
    expect(urls).toHaveLength(5);
    expect(urls).toEqual(
      expect.arrayContaining(
        PHOTO_IDS.map((id, k) => expect.stringContaining(`/impg/1001_${id}_${EXPECTED[k]!.size}.`)),
      ),
    );
    expect(files.get('photos.json')?.toString()).toBe(
      '[{"file_name": "7_2024-03-05.jpg", "size": "base"}, {"file_name": "7_2024-03-01_9104.jpg", "size": "w"}, ' +
        '{"file_name": "7_2024-03-01_9103.jpg", "size": "w"}, {"file_name": "34_2024-02-15.png", "size": "w"}, ' +
        '{"file_name": "34_2024-01-31.jpg", "size": "w"}]',
    );
  });

  it('uploads nothing twice on a re-run and returns the identical report', async () => {
    const folder = `VK_${randomUUID().slice(0, 8)}`;
    const first = await backup({ targets: [yandexTarget()], folder });
    const uploads = () => world.yandex.log.filter((r) => r.path.includes('/resources/upload')).length;
    const before = uploads();
    const second = await backup({ targets: [yandexTarget()], folder });

    expect(second.report).toEqual(first.report);
    expect(second.targets[0]?.summary).toMatchObject({ copied: 0, alreadyThere: 5, failed: 0 });
    expect(uploads()).toBe(before);
    expect(yandexFolder(world, folder).size).toBe(6);
  });

  it('backs up to both clouds at once', async () => {
    const folder = `VK_${randomUUID().slice(0, 8)}`;
    const result = await backup({ targets: [yandexTarget(), world.driveTarget()], folder });
    expect(result.targets.map((t) => [t.cloud, t.status])).toEqual([
      ['yadisk', 'done'],
      ['google_drive', 'done'],
    ]);
    const names = [...EXPECTED.map((e) => e.file_name), 'photos.json'].sort();
    expect([...yandexFolder(world, folder).keys()].sort()).toEqual(names);
    const drive = driveFolder(folder);
    expect([...drive.keys()].sort()).toEqual(names);
    expect(drive.get('photos.json')?.toString()).toBe(formatReport(EXPECTED));
  });

  it("keeps one cloud's copies when the other runs out of space", async () => {
    const folder = `VK_${randomUUID().slice(0, 8)}`;
    world.drive.setQuota(0);
    try {
      const result = await backup({ targets: [yandexTarget(), world.driveTarget()], folder });
      const [yandex, drive] = result.targets;
      expect(yandex).toMatchObject({ cloud: 'yadisk', status: 'done' });
      expect(drive).toMatchObject({ cloud: 'google_drive', status: 'failed', error: { type: 'QuotaExhausted' } });
      expect(result.report).toEqual(EXPECTED);
      expect(yandexFolder(world, folder).size).toBe(6);
      expect(driveFolder(folder).size).toBe(0);
    } finally {
      world.drive.setQuota(Number.MAX_SAFE_INTEGER);
    }
  });

  it('ends as cancelled when cancelled mid-copy', async () => {
    const client = await testClient(world.config);
    const workflowId = `vk-backup-cancel-${randomUUID()}`;
    const state = await world.withWorker(async () => {
      const handle = await client.workflow.start(vkBackup, {
        taskQueue: world.taskQueue,
        workflowId,
        args: [
          {
            user: 'big.user',
            count: 'all',
            album: 'wall',
            sourceToken: world.vk.validToken,
            targets: [yandexTarget()],
            folder: `VK_${randomUUID().slice(0, 8)}`,
            copy: { concurrency: 2 },
          },
        ],
      });
      for (;;) {
        const s = await describeBackup(client, workflowId);
        if (s?.phase === 'copying' && s.progress.photos.done > 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      await handle.cancel();
      await handle.result().catch(() => undefined);
      return (await describeBackup(client, workflowId))?.state;
    });
    expect(state).toBe('cancelled');
  });
});
