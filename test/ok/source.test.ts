// The OK source against the OK fake, without Temporal: user ids, the personal album and every album
// paged with each method's own anchor, the largest size per photo, names by likes, and OK's error codes
// as Ferry's failure types (bad signature, expired/unknown token, private user, flood control).
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { okClient } from '../../activities/ok/client';
import { listOkPhotos, OK_DEFAULT_PHOTO_SIZES, parseOkUser } from '../../activities/ok/source';
import { buildPhotoPlan } from '../../activities/photo-backup/plan';
import { startOkFake, type OkFake } from '../../fakes/ok';
import { ANNA_UID, BORIS_UID, ODD_UID, SECRET_UID } from '../../fakes/ok-world';
import { ANNA_REPORT } from './harness';

let ok: OkFake;
beforeAll(async () => {
  ok = await startOkFake({ photoPageCap: 97, albumPageCap: 2 });
});
afterAll(() => ok.close());

const SIZES = OK_DEFAULT_PHOTO_SIZES;
const client = (
  over: {
    accessToken?: string;
    applicationSecretKey?: string;
    applicationKey?: string;
    requestsPerSecond?: number;
  } = {},
) =>
  okClient({
    apiUrl: ok.apiUrl,
    applicationKey: ok.applicationKey,
    applicationSecretKey: ok.applicationSecretKey,
    accessToken: ok.validToken,
    requestsPerSecond: 4,
    ...over,
  });
const list = (req: { user: string; album?: string; limit?: number }, c = client()) =>
  listOkPhotos(c, { album: 'personal', photoSizes: SIZES, ...req });

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('OK source', () => {
  it('takes an id or a profile link', () => {
    expect(parseOkUser('571000000001')).toBe('571000000001');
    expect(parseOkUser('https://ok.ru/profile/571000000001/')).toBe('571000000001');
    expect(parseOkUser('https://m.ok.ru/profile/571000000001')).toBe('571000000001');
    expect(() => parseOkUser('https://ok.ru/profile/1 2')).toThrow(/not an OK user id/);
  });

  it('plans the 5 newest personal photos at their largest size, named by likes', async () => {
    const before = ok.calls.length;
    const { owner, photos } = await list({ user: ANNA_UID, limit: 5 });
    expect(owner.id).toBe(ANNA_UID);
    expect(photos.map((p) => p.id)).toEqual(['880005', '880004', '880003', '880002', '880001']);
    const plan = await buildPhotoPlan(photos, { guard: { allowPrivateNetwork: true } });
    expect(plan.report.map(({ file_name, size }) => ({ file_name, size }))).toEqual(ANNA_REPORT);
    const anna = ok.users.find((u) => u.uid === ANNA_UID)!;
    const item = plan.items.find((i) => i.key === `ok:${ANNA_UID}_880004`)!;
    expect(item.size).toBe(
      ok.fileBytes(
        anna.photos.find((p) => p.id === '880004')!,
        'pic1024x768',
      ).length,
    );
    expect(item.publiclyFetchable).toBe(true);

    // One signed POST: the personal album is photos.getPhotos without aid, the sizes asked for by name.
    const [call, ...more] = ok.calls.slice(before);
    expect(more).toHaveLength(0);
    expect(call).toMatchObject({ method: 'photos.getPhotos', http: 'POST' });
    expect(call!.errorCode).toBeUndefined();
    expect(call!.params).toMatchObject({
      fid: ANNA_UID,
      count: '100',
      format: 'json',
      application_key: ok.applicationKey,
    });
    expect(call!.params.aid).toBeUndefined();
    expect(call!.params.fields).toContain('photo.pic_max');
    expect(call!.params).not.toHaveProperty('application_secret_key');
    expect(JSON.stringify(ok.calls)).not.toContain(ok.applicationSecretKey);
  });

  it('pages every album past 100 photos: anchor for photos, pagingAnchor for albums', async () => {
    const before = ok.calls.length;
    const { photos } = await list({ user: BORIS_UID, album: 'all' });
    expect(photos).toHaveLength(295);
    expect(new Set(photos.map((p) => p.key)).size).toBe(295);
    expect(photos.map((p) => p.date)).toEqual([...photos.map((p) => p.date)].sort((a, b) => b - a));

    const calls = ok.calls.slice(before);
    expect(calls.every((c) => c.errorCode === undefined)).toBe(true);
    const albums = calls.filter((c) => c.method === 'photos.getAlbums');
    expect(albums.map((c) => c.params.pagingAnchor !== undefined)).toEqual([false, true]);
    expect(albums.every((c) => c.params.anchor === undefined)).toBe(true);
    const gets = calls.filter((c) => c.method === 'photos.getPhotos');
    expect(gets.every((c) => c.params.pagingAnchor === undefined)).toBe(true);
    // 130 personal (2 pages of at most 97), 120 (2), 45 (1); the empty album is not asked for.
    expect(gets.map((c) => [c.params.aid ?? 'personal', c.params.anchor !== undefined])).toEqual([
      ['personal', false],
      ['personal', true],
      ['5200001', false],
      ['5200001', true],
      ['5200002', false],
    ]);
    const plan = await buildPhotoPlan(photos, { guard: { allowPrivateNetwork: true } });
    expect(new Set(plan.report.map((e) => e.file_name)).size).toBe(295);
  });

  it('survives odd records: a path in an id, impossible dates, non-URL sizes, missing ids', async () => {
    const { photos } = await list({ user: ODD_UID });
    const plan = await buildPhotoPlan(photos, { guard: { allowPrivateNetwork: true } });
    expect(plan.report.map(({ file_name, size }) => ({ file_name, size }))).toEqual([
      { file_name: '5.jpg', size: 'pic_max' },
      { file_name: '1_2022-05-05_______escape.jpg', size: 'pic_max' },
      { file_name: '1_2022-05-05_770004.jpg', size: 'pic1024x768' },
      { file_name: '0.jpg', size: 'pic_max' },
    ]);
    expect(plan.items.every((i) => !i.relPath.includes('/'))).toBe(true);
    expect(plan.skipped).toBe(2); // no id, and an id of 300 characters
  });

  it('maps a bad signature and a wrong app key to ConfigurationError', async () => {
    const badSig = await failureOf(list({ user: ANNA_UID }, client({ applicationSecretKey: 'not-the-secret' })));
    expect(badSig).toMatchObject({ type: 'ConfigurationError', nonRetryable: true });
    expect(badSig.message).toMatch(/OK_APPLICATION_SECRET_KEY .*\(OK error 104\)/);
    const badKey = await failureOf(list({ user: ANNA_UID }, client({ applicationKey: 'NOPE' })));
    expect(badKey).toMatchObject({ type: 'ConfigurationError', nonRetryable: true });
    expect(badKey.message).toMatch(/OK error 101/);
  });

  it('maps an expired or unknown token to AuthRevoked, a private user to AccessDenied', async () => {
    const expired = await failureOf(list({ user: ANNA_UID }, client({ accessToken: ok.expiredToken })));
    expect(expired).toMatchObject({ type: 'AuthRevoked', nonRetryable: true });
    expect(expired.message).toMatch(/has expired.*\(OK error 102\)/);
    const unknown = await failureOf(list({ user: ANNA_UID }, client({ accessToken: 'tkn1.nobody' })));
    expect(unknown).toMatchObject({ type: 'AuthRevoked', nonRetryable: true });
    expect(unknown.message).toMatch(/OK error 103/);
    const secret = await failureOf(list({ user: SECRET_UID }));
    expect(secret).toMatchObject({ type: 'AccessDenied', nonRetryable: true });
    expect(secret.message).toBe(`OK user ${SECRET_UID} keeps their photos private (OK error 455)`);
    const noAlbum = await failureOf(list({ user: ANNA_UID, album: '42' }));
    expect(noAlbum).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    expect(noAlbum.message).toMatch(/album 42 .*does not exist .*\(OK error 120\)/);
  });

  it('waits out flood control (8) and carries on; a flood that lasts is RateLimited, retryable', async () => {
    ok.failNext('photos.getPhotos', 8, 2);
    const { photos } = await list({ user: ANNA_UID, limit: 5 });
    expect(photos).toHaveLength(5);
    ok.failNext('photos.getPhotos', 8, 3);
    const flood = await failureOf(list({ user: ANNA_UID }));
    expect(flood).toMatchObject({ type: 'RateLimited', nonRetryable: false });
    expect(flood.message).toMatch(/FLOOD_BLOCKED/);
  }, 30_000);

  it('paces its calls: no flood error at OK_REQUESTS_PER_SECOND', async () => {
    const before = ok.calls.length;
    const paced = client({ requestsPerSecond: 4 });
    await Promise.all([1, 2, 3].map(() => list({ user: BORIS_UID, album: 'all' }, paced)));
    expect(ok.calls.slice(before).filter((c) => c.errorCode === 8)).toHaveLength(0);
  }, 30_000);
});
