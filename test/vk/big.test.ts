// `--count all --album all` on a 2,500-photo user: every photo copied, VK paged 1,000 at a time at
// 3 requests/s, and not one "too many requests" (error 6) answer.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vkBackup } from '../../workflows/vk-backup';
import { testClient } from '../helpers/temporal';
import { startWorld, YANDEX_TOKEN, yandexFolder, type World } from './harness';

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(() => world.close());

describe('vkBackup of every album of a 2,500-photo user', () => {
  it('copies all 2,500 photos with no VK rate-limit error', { timeout: 240_000 }, async () => {
    const folder = `VK_all_${randomUUID().slice(0, 8)}`;
    const client = await testClient(world.config);
    const result = await world.withWorker(() =>
      client.workflow.execute(vkBackup, {
        taskQueue: world.taskQueue,
        workflowId: `vk-backup-big-${randomUUID()}`,
        args: [
          {
            user: 'big.user',
            count: 'all',
            album: 'all',
            folder,
            sourceToken: world.vk.validToken,
            targets: [{ cloud: 'yadisk', token: YANDEX_TOKEN }],
            copy: { concurrency: 16 },
          },
        ],
      }),
    );

    expect(result.report).toHaveLength(2500);
    expect(new Set(result.report.map((e) => e.file_name)).size).toBe(2500);
    expect(result.targets[0]).toMatchObject({ status: 'done', summary: { copied: 2500, failed: 0 } });
    const files = yandexFolder(world, folder);
    expect(files.size).toBe(2501); // + photos.json
    expect(JSON.parse(files.get('photos.json')!.toString())).toHaveLength(2500);

    const gets = world.vk.calls.filter((c) => c.method === 'photos.get');
    expect(gets.length).toBeLessThanOrEqual(6); // 300 + 1,100 + 1,100 photos, 1,000 a page
    expect(world.vk.calls.filter((c) => c.errorCode === 6)).toHaveLength(0);
    expect(world.vk.tooManyRequests()).toBe(0);
  });
});
