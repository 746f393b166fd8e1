// The Yandex Disk adapter against the Yandex Disk and OAuth fakes: folder levels, upload + operation
// polling + md5 read back, tags, collisions, upload from URL (really fetched), the typed failures.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Destination, UploadCheckpoint } from '../../activities/clouds/destination';
import { createDestination } from '../../activities/clouds';
import type { Config } from '../../lib/config';
import { FailureType } from '../../lib/failures';
import { startSourceServer, type SourceServer } from '../../fakes/source-server';
import { startYandexDiskFake, type YandexDiskFake } from '../../fakes/yandex-disk';
import { startYandexOAuthFake, type YandexOAuthFake } from '../../fakes/yandex-oauth';
import { testConfig } from '../helpers/config';
import { expectFailure, item, md5, request } from './helpers';

let oauth: YandexOAuthFake;
let fake: YandexDiskFake;
let source: SourceServer;
let config: Config;

beforeAll(async () => {
  oauth = await startYandexOAuthFake();
  fake = await startYandexDiskFake({ oauth, operationDelayMs: 300 });
  source = await startSourceServer();
  config = testConfig({
    YANDEX_DISK_API_URL: fake.url,
    YANDEX_OAUTH_URL: oauth.url,
    YANDEX_CLIENT_ID: oauth.clientId,
    YANDEX_CLIENT_SECRET: oauth.clientSecret,
  });
});
afterAll(async () => {
  await fake.close();
  await oauth.close();
  await source.close();
});

function destination(rootFolder: string, tokens = oauth.issueTokens()): Destination {
  return createDestination(
    {
      cloud: 'yadisk',
      rootFolder,
      credentials: { cloud: 'yadisk', token: tokens.accessToken, refreshToken: tokens.refreshToken },
    },
    config,
  );
}
const root = () => `Ferry ${randomBytes(4).toString('hex')}/Photos`;

describe('Yandex Disk adapter', () => {
  it('creates every folder level, and an existing folder (409) is success', async () => {
    const name = root();
    const a = await destination(name).ensureFolder('2024/Summer');
    expect(a).toEqual({ id: `disk:/${name}/2024/Summer`, path: `${name}/2024/Summer` });
    expect(await destination(name).ensureFolder('2024/Summer')).toEqual(a);
    expect(fake.node(`${name}/2024/Summer`)?.type).toBe('dir');
  });

  it('uploads by link + PUT answered 201 and tags the file: the tag answers the md5, three requests in all', async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(300 * 1024);
    const it = item(bytes);
    const before = fake.log.length;
    const remote = await dest.upload(request(folder, 'stored.jpg', bytes, it));
    expect(remote).toMatchObject({
      id: `${folder.id}/stored.jpg`,
      size: bytes.length,
      md5: md5(bytes),
      sourceKey: it.key,
    });
    expect(fake.node(remote.id)!.custom_properties).toEqual({ ferry_key: it.key, ferry_md5: md5(bytes) });
    const kinds = fake.log
      .slice(before)
      .map((r) => `${r.method} ${r.path.replace(/upload-target\/.*/, 'upload-target')}`);
    expect(kinds).toEqual(['GET /v1/disk/resources/upload', 'PUT /upload-target', 'PATCH /v1/disk/resources']);
  });

  it('uploads by link + PUT answered 202, polls the operation until success, reads md5/size back and tags the file', async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(700 * 1024);
    const it = item(bytes);
    fake.setAcceptedPuts(true);
    onTestFinished(() => fake.setAcceptedPuts(false));
    const started = Date.now();
    const remote = await dest.upload(request(folder, 'photo.jpg', bytes, it));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(remote).toMatchObject({
      id: `${folder.id}/photo.jpg`,
      size: bytes.length,
      md5: md5(bytes),
      sourceKey: it.key,
    });
    expect(fake.node(remote.id)!.custom_properties).toEqual({ ferry_key: it.key, ferry_md5: md5(bytes) });
    expect(fake.node(remote.id)!.content!.equals(bytes)).toBe(true);
    const polls = fake.log.filter((r) => r.path.startsWith('/v1/disk/operations/'));
    expect(polls.length).toBeGreaterThanOrEqual(2);
    expect(fake.log.some((r) => r.path === '/v1/disk/resources/upload' && r.query.overwrite === 'false')).toBe(true);
    // A re-run finds it by its tag.
    expect((await dest.probe(folder, 'photo.jpg', it)).existing).toMatchObject({ md5: md5(bytes), sourceKey: it.key });
    expect(await dest.stat(remote)).toMatchObject({ size: bytes.length });
    await dest.remove(remote);
    expect(await dest.stat(remote)).toBeUndefined();
  });

  it('lists a folder once (paged) and answers probes from it as probe would: tag, same md5, suffix, claims', async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('');
    const same = randomBytes(2000);
    fake.addFile(`${folder.id}/same.jpg`, same);
    fake.addFile(`${folder.id}/taken.jpg`, Buffer.from('their photo'));
    const ours = randomBytes(3000);
    const it = item(ours);
    await dest.upload(request(folder, 'taken (2).jpg', ours, it));
    for (let i = 0; i < 1001; i++) fake.addFile(`${folder.id}/x${i}.jpg`, Buffer.from('x'));
    const before = fake.log.length;
    const index = await dest.listFolder!(folder);
    // 1,004 entries at 1,000 a request: two requests answer every probe below.
    expect(fake.log.slice(before).map((r) => r.query.offset)).toEqual(['0', '1000']);
    expect((await index.probe('same.jpg', item(same, { md5: md5(same) }))).existing?.md5).toBe(md5(same));
    expect((await index.probe('taken.jpg', it)).existing).toMatchObject({ name: 'taken (2).jpg', sourceKey: it.key });
    expect(await index.probe('taken.jpg', item(ours))).toEqual({ freeName: 'taken (3).jpg' });
    index.claim('taken (3).jpg');
    expect(await index.probe('taken.jpg', item(ours))).toEqual({ freeName: 'taken (4).jpg' });
    expect(await index.probe('x1000.jpg', item(ours))).toEqual({ freeName: 'x1000 (2).jpg' });
    expect(fake.log.length - before).toBe(2);
    // An absent folder lists empty.
    const gone = await dest.listFolder!({ id: `${folder.id}/nothing`, path: 'nothing' });
    expect(await gone.probe('a.jpg', item(ours))).toEqual({ freeName: 'a.jpg' });
  });

  it('treats an untagged file with the same md5 and size as already there, and suffixes a different one', async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('');
    const same = randomBytes(2000);
    fake.addFile(`${folder.id}/same.jpg`, same);
    expect((await dest.probe(folder, 'same.jpg', item(same, { md5: md5(same) }))).existing?.md5).toBe(md5(same));
    fake.addFile(`${folder.id}/taken.jpg`, Buffer.from('their photo'));
    const bytes = randomBytes(3000);
    const it = item(bytes, { md5: md5(bytes) });
    const probe = await dest.probe(folder, 'taken.jpg', it);
    expect(probe).toEqual({ freeName: 'taken (2).jpg' });
    await dest.upload(request(folder, probe.freeName, bytes, it));
    expect(fake.node(`${folder.id}/taken.jpg`)!.content!.toString()).toBe('their photo');
    expect((await dest.probe(folder, 'taken.jpg', it)).existing?.name).toBe('taken (2).jpg');
  });

  it('adopts the file a crashed attempt had fully sent instead of uploading it again', async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(5000);
    const it = item(bytes);
    const first = request(folder, 'crash.jpg', bytes, it);
    await dest.upload(first);
    const full = first.checkpoints.at(-1)!;
    expect(full.confirmedOffset).toBe(bytes.length);
    const again = request(folder, 'crash.jpg', bytes, it, { checkpoint: full });
    const remote = await dest.upload(again);
    expect(again.opens).toEqual([]);
    expect(remote.md5).toBe(md5(bytes));
  });

  /** Starts an upload, waits for `ready` (the fake's view of it), then kills it as a crash would. */
  async function interrupted(req: ReturnType<typeof request>, dest: Destination, ready: () => boolean) {
    const abort = new AbortController();
    const attempt = dest.upload({ ...req, signal: abort.signal });
    for (let i = 0; i < 500 && !ready(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(ready()).toBe(true);
    abort.abort();
    await expect(attempt).rejects.toThrow();
    expect(req.checkpoints.map((c) => c.confirmedOffset)).toEqual([0]);
    return req.checkpoints[0]!;
  }

  it("adopts an untagged file whose PUT was stored but never answered, once its md5 is the source's", async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(300 * 1024);
    const it = item(bytes);
    const path = `${folder.id}/held.jpg`;
    const rule = fake.faults.add({ method: 'PUT', path: '/upload-target/', fault: { kind: 'holdAnswer', ms: 30_000 } });
    const checkpoint = await interrupted(request(folder, 'held.jpg', bytes, it), dest, () =>
      fake.uploads().some((u) => u.path === path && u.stored),
    );
    fake.faults.remove(rule);
    expect(fake.node(path)?.custom_properties).toBeUndefined();
    let digests = 0;
    const again = request(folder, 'held.jpg', bytes, it, {
      checkpoint,
      sourceDigest: async () => (digests++, { size: bytes.length, md5: md5(bytes) }),
    });
    const remote = await dest.upload(again);
    expect(remote).toMatchObject({ md5: md5(bytes), size: bytes.length, sourceKey: it.key });
    expect(again.opens).toEqual([]);
    expect(digests).toBe(1);
    expect(fake.uploads().filter((u) => u.path === path)).toHaveLength(1);
    expect(fake.node(path)?.custom_properties).toEqual({ ferry_key: it.key, ferry_md5: md5(bytes) });
  });

  it("leaves alone another file that took a checkpoint's name, and forgets the checkpoint", async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(3000);
    const it = item(bytes);
    fake.addFile(`${folder.id}/taken.jpg`, Buffer.from('their photo'));
    let dropped = 0;
    const req = request(folder, 'taken.jpg', bytes, it, {
      checkpoint: {
        kind: 'yandex',
        operation: 'upload',
        operationId: '0123456789abcdef',
        confirmedOffset: 0,
        total: bytes.length,
      },
      sourceDigest: async () => ({ size: bytes.length, md5: md5(bytes) }),
      dropCheckpoint: async () => void dropped++,
    });
    await expectFailure(dest.upload(req), FailureType.DestinationUnavailable, false);
    expect(dropped).toBe(1);
    expect(req.opens).toEqual([]);
    expect(fake.node(`${folder.id}/taken.jpg`)!.content!.toString()).toBe('their photo');
  });

  it('starts a PUT cut mid-body over, exactly once (Yandex has no ranged resume)', async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(400 * 1024);
    const it = item(bytes);
    const path = `${folder.id}/cut.jpg`;
    const rule = fake.faults.add({
      method: 'PUT',
      path: '/upload-target/',
      fault: { kind: 'slowBody', bytesPerSec: 64 * 1024 },
    });
    const checkpoint = await interrupted(request(folder, 'cut.jpg', bytes, it), dest, () =>
      fake.uploads().some((u) => u.path === path && u.bytesIn > 0),
    );
    fake.faults.remove(rule);
    const again = request(folder, 'cut.jpg', bytes, it, { checkpoint });
    expect((await dest.upload(again)).md5).toBe(md5(bytes));
    expect(again.opens).toEqual([0]);
    expect(
      fake
        .uploads()
        .filter((u) => u.path === path)
        .map((u) => u.stored),
    ).toEqual([false, true]);
  });

  it('tags after finalisation when Yandex refuses to touch the file before, and survives a dropped PUT', async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(200 * 1024);
    const it = item(bytes);
    fake.faults.add({ method: 'PATCH', path: '/v1/disk/resources', fault: { kind: 'status', status: 404 } });
    const remote = await dest.upload(request(folder, 'late-tag.jpg', bytes, it));
    expect(remote).toMatchObject({ md5: md5(bytes), sourceKey: it.key });
    fake.faults.add({ method: 'PUT', path: '/upload-target/', fault: { kind: 'drop', afterBytes: 50 * 1024 } });
    const other = item(bytes);
    await expectFailure(
      dest.upload(request(folder, 'dropped.jpg', bytes, other)),
      FailureType.DestinationUnavailable,
      false,
    );
    expect(fake.node(`${folder.id}/dropped.jpg`)).toBeUndefined();
    expect((await dest.upload(request(folder, 'dropped.jpg', bytes, other))).md5).toBe(md5(bytes));
    fake.faults.add({ method: 'PUT', path: '/upload-target/', fault: { kind: 'corrupt', offset: 10 } });
    const corrupted = await dest.upload(request(folder, 'corrupt.jpg', bytes, item(bytes)));
    expect(corrupted.md5).not.toBe(md5(bytes));
  });

  it('uploads from URL: Yandex really fetches the source; a failed fetch is RemoteFetchFailed', async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(300 * 1024);
    source.addFile('/cdn/p.jpg', bytes, 'image/jpeg');
    const before = source.stats().byPath['/cdn/p.jpg']?.requests ?? 0;
    const it = item(bytes, { sourceUrl: source.urlOf('/cdn/p.jpg'), publiclyFetchable: true });
    const remote = await dest.uploadFromUrl!({ folder, name: 'p.jpg', item: it });
    expect(remote).toMatchObject({ size: bytes.length, md5: md5(bytes), sourceKey: it.key });
    expect(source.stats().byPath['/cdn/p.jpg']!.requests).toBe(before + 1);
    const gone = item(bytes, { sourceUrl: source.urlOf('/cdn/missing.jpg') });
    await expectFailure(
      dest.uploadFromUrl!({ folder, name: 'missing.jpg', item: gone }),
      FailureType.RemoteFetchFailed,
      false,
    );
  });

  it('adopts what an upload from URL fetched after the attempt that asked for it died', async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(200 * 1024);
    source.addFile('/cdn/crash.jpg', bytes, 'image/jpeg');
    const it = item(bytes, { sourceUrl: source.urlOf('/cdn/crash.jpg'), publiclyFetchable: true });
    const abort = new AbortController();
    const checkpoints: UploadCheckpoint[] = [];
    const first = dest.uploadFromUrl!({
      folder,
      name: 'crash.jpg',
      item: it,
      signal: abort.signal,
      // The worker dies the moment the fetch was asked for; Yandex goes on fetching.
      onCheckpoint: (cp) => void (checkpoints.push(cp), abort.abort()),
    });
    await expect(first).rejects.toThrow();
    expect(checkpoints).toHaveLength(1);
    const asked = () => fake.log.filter((e) => e.method === 'POST' && e.query.url === it.sourceUrl).length;
    expect(asked()).toBe(1);
    const remote = await dest.uploadFromUrl!({ folder, name: 'crash.jpg', item: it, checkpoint: checkpoints[0] });
    expect(remote).toMatchObject({ md5: md5(bytes), sourceKey: it.key });
    expect(asked()).toBe(1);
    expect(source.stats().byPath['/cdn/crash.jpg']!.requests).toBe(1);
  });

  it('maps 401, 507, 429 + Retry-After and 423 to typed failures', async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(4000);
    fake.faults.add({
      path: '/v1/disk/resources',
      method: 'GET',
      fault: { kind: 'status', status: 429, retryAfter: 3 },
    });
    const limited = await expectFailure(dest.probe(folder, 'a.jpg', item(bytes)), FailureType.RateLimited, false);
    expect(limited.nextRetryDelay).toBe(3000);
    fake.faults.add({ path: '/v1/disk/resources/upload', fault: { kind: 'status', status: 423 } });
    await expectFailure(
      dest.upload(request(folder, 'a.jpg', bytes, item(bytes))),
      FailureType.DestinationUnavailable,
      false,
    );
    fake.setQuota(1);
    try {
      await expectFailure(dest.upload(request(folder, 'a.jpg', bytes, item(bytes))), FailureType.QuotaExhausted, true);
    } finally {
      fake.setQuota(Infinity);
    }
    const pasted = createDestination(
      { cloud: 'yadisk', rootFolder: 'x', credentials: { cloud: 'yadisk', token: 'not-a-token' } },
      config,
    );
    await expectFailure(pasted.ensureFolder('a'), FailureType.AuthRevoked, true);
  });

  it('refreshes a dead access token from the refresh token; a revoked grant is AuthRevoked', async () => {
    const tokens = oauth.issueTokens();
    const dest = destination(root(), tokens);
    oauth.revoke(tokens.accessToken);
    const folder = await dest.ensureFolder('after-refresh');
    expect(folder.path).toMatch(/after-refresh$/);
    oauth.revoke(tokens.refreshToken);
    const revoked = await expectFailure(dest.ensureFolder('more'), FailureType.AuthRevoked, true);
    expect(revoked.message).toMatch(/invalid_grant/);
  });
});
