// The VK source against the VK fake, without Temporal: resolution, albums, pagination past 1,000 at
// 3 requests/s, the plan's sizes and names, and every VK error mapped to its failure type.
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vkApi } from '../../activities/vk/client';
import { buildPhotoPlan } from '../../activities/photo-backup/plan';
import { listVkPhotos, parseVkUser, resolveVkOwner } from '../../activities/vk/source';
import { startVkFake, type VkFake } from '../../fakes/vk';

let vk: VkFake;
beforeAll(async () => {
  vk = await startVkFake();
});
afterAll(() => vk.close());

const api = (token = vk.validToken) => vkApi({ baseUrl: vk.apiUrl, token, requestsPerSecond: 3 });
const guard = { allowPrivateNetwork: true };

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('VK source', () => {
  it('resolves ids, screen names and profile links', async () => {
    expect(parseVkUser('https://vk.com/ivan.petrov')).toEqual({ screenName: 'ivan.petrov' });
    expect(parseVkUser('id1001')).toEqual({ numericId: 1001 });
    expect(parseVkUser('club5')).toEqual({ numericId: -5 });
    expect(await resolveVkOwner(api(), 'ivan.petrov')).toEqual({ id: '1001', name: 'Ivan Petrov' });
    expect(await resolveVkOwner(api(), '1001')).toEqual({ id: '1001', name: 'Ivan Petrov' });
  });

  it('plans the 5 newest profile photos at their largest size, named by likes', async () => {
    const { owner, photos } = await listVkPhotos(api(), { user: 'ivan.petrov', album: 'profile', limit: 5 });
    expect(owner.id).toBe('1001');
    expect(photos.map((p) => p.id)).toEqual(['9105', '9104', '9103', '9102', '9101']);
    const plan = await buildPhotoPlan(photos, { guard });
    expect(plan.report.map(({ file_name, size }) => ({ file_name, size }))).toEqual([
      { file_name: '7_2024-03-05.jpg', size: 'base' },
      { file_name: '7_2024-03-01_9104.jpg', size: 'w' },
      { file_name: '7_2024-03-01_9103.jpg', size: 'w' },
      { file_name: '34_2024-02-15.png', size: 'w' },
      { file_name: '34_2024-01-31.jpg', size: 'w' },
    ]);
    const item = plan.items.find((i) => i.key === 'vk:1001_9105')!;
    expect(item.sourceUrl).toContain('_base.jpg');
    expect(item.publiclyFetchable).toBe(true);
    const user = vk.users.find((u) => u.id === 1001)!;
    expect(item.size).toBe(
      vk.fileBytes(
        user.photos.find((p) => p.id === 9105)!,
        'base',
      ).length,
    );
    expect(plan.items.find((i) => i.relPath.endsWith('.png'))?.mimeType).toBe('image/png');
  });

  it('picks by letter order for old zero-size photos and survives unknown letters', async () => {
    const { photos } = await listVkPhotos(api(), { user: '1001', album: 'profile' });
    const plan = await buildPhotoPlan(photos, { guard });
    expect(plan.report.find((e) => e.key === 'vk:1001_9099')?.size).toBe('y');
    expect(plan.report.find((e) => e.key === 'vk:1001_9098')?.size).toBe('k');
    expect(plan.items).toHaveLength(8);
  });

  it('lists every album of a 2,500-photo user in a few 1,000-photo pages, with no error 6', async () => {
    const before = vk.calls.length;
    const { photos } = await listVkPhotos(api(), { user: 'big.user', album: 'all' });
    expect(photos).toHaveLength(2500);
    expect(new Set(photos.map((p) => p.key)).size).toBe(2500);
    const calls = vk.calls.slice(before);
    const gets = calls.filter((c) => c.method === 'photos.get');
    expect(gets.every((c) => Number(c.params.count) <= 1000)).toBe(true);
    expect(gets.some((c) => c.params.offset === '1000')).toBe(true);
    expect(calls.filter((c) => c.errorCode === 6)).toHaveLength(0);
    expect(vk.tooManyRequests()).toBe(0);
    expect(photos[0]!.date).toBeGreaterThanOrEqual(photos[photos.length - 1]!.date);
    const names = (await buildPhotoPlan(photos, { guard })).items.map((i) => i.relPath);
    expect(new Set(names).size).toBe(2500);
  });

  it('turns each VK error into a typed failure with a clear reason', async () => {
    const cases: Array<[() => Promise<unknown>, string, boolean, RegExp]> = [
      [
        () => listVkPhotos(api(), { user: 'private.person', album: 'profile' }),
        'AccessDenied',
        true,
        /private profile/,
      ],
      [() => listVkPhotos(api(), { user: 'gone.user', album: 'profile' }), 'SourceNotFound', true, /deleted or banned/],
      [() => listVkPhotos(api(), { user: '987654', album: 'profile' }), 'InvalidInput', true, /invalid user id/],
      [() => listVkPhotos(api(), { user: 'no.such.name', album: 'profile' }), 'InvalidInput', true, /no user/],
      [() => listVkPhotos(api(), { user: 'secret.album', album: '999' }), 'AccessDenied', true, /album 999.*denied/],
      [() => listVkPhotos(api('bad-token'), { user: 'ivan.petrov', album: 'profile' }), 'AuthRevoked', true, /token/],
      [() => listVkPhotos(api(), { user: 'ivan.petrov', album: 'friends' }), 'InvalidInput', true, /album must be/],
    ];
    for (const [run, type, nonRetryable, message] of cases) {
      const f = await failureOf(run());
      expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({ type, nonRetryable });
      expect(f.message).toMatch(message);
    }
  });

  it('leaves flood control, rate limits and internal errors to the retry policy', async () => {
    for (const [code, type] of [
      [9, 'RateLimited'],
      [29, 'RateLimited'],
      [10, 'VkError'],
    ] as const) {
      vk.failNext('photos.get', code);
      const f = await failureOf(listVkPhotos(api(), { user: '1001', album: 'profile', limit: 1 }));
      expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({ type, nonRetryable: false });
    }
    // Error 6 is absorbed by vk-io's pacing: it waits and repeats the call.
    vk.failNext('photos.get', 6);
    expect((await listVkPhotos(api(), { user: '1001', album: 'profile', limit: 1 })).photos).toHaveLength(1);
  });
});
