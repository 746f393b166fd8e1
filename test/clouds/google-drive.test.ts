// The Google Drive adapter against the Drive and OAuth fakes: folders, tags, multipart and resumable
// uploads (resumed from a checkpoint, restarted after an expired session), and the typed failures.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGoogleDriveDestination } from '../../activities/clouds/google-drive';
import type { Destination } from '../../activities/clouds/destination';
import type { Config } from '../../lib/config';
import { FailureType } from '../../lib/failures';
import { startDriveFake, type DriveFake } from '../../fakes/google-drive';
import { startGoogleOAuthFake, type GoogleOAuthFake } from '../../fakes/google-oauth';
import { testConfig } from '../helpers/config';
import { driveSession, expectFailure, item, md5, request } from './helpers';

const KiB = 1024;
let oauth: GoogleOAuthFake;
let fake: DriveFake;
let config: Config;

beforeAll(async () => {
  oauth = await startGoogleOAuthFake();
  fake = await startDriveFake({ oauth });
  config = testConfig({
    GOOGLE_API_URL: fake.url,
    GOOGLE_TOKEN_URL: oauth.tokenUrl,
    GOOGLE_CLIENT_ID: oauth.clientId,
    GOOGLE_CLIENT_SECRET: oauth.clientSecret,
    DRIVE_RESUMABLE_CUTOFF: String(512 * KiB),
    DRIVE_CHUNK_SIZE: String(256 * KiB),
  });
});
afterAll(async () => {
  await fake.close();
  await oauth.close();
});

function destination(rootFolder: string, refreshToken = oauth.issueTokens().refreshToken): Destination {
  return createGoogleDriveDestination(
    { cloud: 'google_drive', rootFolder, credentials: { cloud: 'google_drive', refreshToken } },
    config,
  );
}

const root = () => `Ferry ${randomBytes(4).toString('hex')}`;

describe('Google Drive adapter', () => {
  it('creates each folder level once, idempotently, also from a fresh adapter', async () => {
    const name = root();
    const a = await destination(name).ensureFolder('2024/Summer');
    const b = await destination(name).ensureFolder('2024/Summer');
    expect(b).toEqual(a);
    expect(a.path).toBe(`${name}/2024/Summer`);
    expect(fake.findByName(name)).toHaveLength(1);
    expect(fake.findByName('Summer', fake.findByName('2024', fake.findByName(name)[0]!.id)[0]!.id)).toHaveLength(1);
  });

  it('settles workers that create one folder at the same moment on a single folder (no split album)', async () => {
    const name = root();
    // Five workers (five adapters, each with its own folder cache) reach the same new album at once.
    const refs = await Promise.all(Array.from({ length: 5 }, () => destination(name).ensureFolder('Album')));
    expect(new Set(refs.map((r) => r.id)).size).toBe(1);
    const roots = fake.findByName(name).filter((f) => !f.trashed);
    expect(roots).toHaveLength(1);
    const albums = fake.findByName('Album', roots[0]!.id).filter((f) => !f.trashed);
    expect(albums.map((f) => f.id)).toEqual([refs[0]!.id]);
  });

  it('uploads a small file in one multipart request, tagged with key, size and md5, and finds it by its tag', async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(100 * KiB);
    const it = item(bytes, { md5: md5(bytes) });
    const before = fake.log.length;
    const remote = await dest.upload(
      request(folder, 'small.jpg', bytes, it, { tags: { sourceKey: it.key, size: bytes.length, md5: md5(bytes) } }),
    );
    expect(remote).toMatchObject({ name: 'small.jpg', size: bytes.length, md5: md5(bytes), sourceKey: it.key });
    expect(fake.file(remote.id)!.appProperties).toEqual({
      ferryKey: it.key,
      ferrySize: String(bytes.length),
      ferryMd5: md5(bytes),
    });
    // The upload is the only request: tags in its metadata, md5/size verified from its answer.
    expect(fake.log.slice(before).map((r) => `${r.method} ${r.query.uploadType}`)).toEqual(['POST multipart']);
    expect(fake.log.some((r) => r.query.uploadType === 'multipart' && r.status === 200)).toBe(true);
    const probe = await dest.probe(folder, 'small.jpg', it);
    expect(probe.existing).toMatchObject({ id: remote.id, md5: md5(bytes), sourceKey: it.key });
    expect(await dest.stat(remote)).toMatchObject({ id: remote.id, size: bytes.length });
    await dest.remove(remote);
    expect(await dest.stat(remote)).toBeUndefined();
  });

  it('tags a file whose md5 the plan does not know with key and size only, never by a PATCH afterwards', async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(50 * KiB);
    const it = item(bytes);
    const before = fake.log.length;
    const remote = await dest.upload(request(folder, 'gallery.jpg', bytes, it));
    // Drive's own md5Checksum, in the upload's answer, is what verifies it.
    expect(remote).toMatchObject({ size: bytes.length, md5: md5(bytes), sourceKey: it.key });
    expect(fake.file(remote.id)!.appProperties).toEqual({ ferryKey: it.key, ferrySize: String(bytes.length) });
    expect(fake.log.slice(before)).toHaveLength(1);
  });

  it('uploads a large file by the resumable protocol in 256 KiB chunks, reporting checkpoints', async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('big');
    const bytes = randomBytes(1100 * KiB);
    const req = request(folder, 'big.bin', bytes, item(bytes));
    const remote = await dest.upload(req);
    expect(remote).toMatchObject({ size: bytes.length, md5: md5(bytes) });
    expect(fake.file(remote.id)!.content!.equals(bytes)).toBe(true);
    const offsets = req.checkpoints.map((c) => c.confirmedOffset);
    expect(offsets).toEqual([0, 256 * KiB, 512 * KiB, 768 * KiB, 1024 * KiB]);
    expect(new Set(req.checkpoints.map(driveSession)).size).toBe(1);
  });

  it('resumes an interrupted upload from its checkpoint, re-sending less than the file', async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(1500 * KiB);
    const it = item(bytes);
    const abort = new AbortController();
    const first = request(folder, 'resume.bin', bytes, it, { signal: abort.signal });
    first.onCheckpoint = (cp) => {
      first.checkpoints.push(cp);
      if (cp.confirmedOffset >= 768 * KiB) abort.abort(new Error('worker killed'));
    };
    await expect(dest.upload(first)).rejects.toThrow();
    const checkpoint = first.checkpoints.at(-1)!;
    const sentBefore = fake.bytesReceived(driveSession(checkpoint));
    const second = request(folder, 'resume.bin', bytes, it, { checkpoint });
    const remote = await destination(first.folder.path).upload(second);
    expect(remote.md5).toBe(md5(bytes));
    expect(second.opens).toEqual([768 * KiB]);
    const resent = fake.bytesReceived(driveSession(checkpoint)) - sentBefore;
    expect(resent).toBe(bytes.length - 768 * KiB);
    expect(resent).toBeLessThan(bytes.length);
    expect(fake.findByName('resume.bin', folder.id)).toHaveLength(1);
  });

  it('survives a connection dropped mid-chunk within the attempt, via the status query', async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(1024 * KiB);
    fake.faults.add({
      method: 'PUT',
      path: '/upload/drive/v3/files',
      nth: 3,
      fault: { kind: 'drop', afterBytes: 100 * KiB },
    });
    const req = request(folder, 'dropped.bin', bytes, item(bytes));
    const remote = await dest.upload(req);
    expect(remote.md5).toBe(md5(bytes));
    expect(fake.bytesReceived(driveSession(req.checkpoints[0]))).toBeLessThan(bytes.length + 256 * KiB);
    expect(fake.findByName('dropped.bin', folder.id)).toHaveLength(1);
  });

  it('retries a status query answered 503 after a failed chunk, within the same attempt', async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(1024 * KiB);
    // The 3rd PUT (a chunk) drops; the 4th (the status query that follows) answers 503.
    const logged = fake.faults.log.length;
    fake.faults.add({ method: 'PUT', path: '/upload/drive/v3/files', nth: 3, fault: { kind: 'drop', afterBytes: 1 } });
    fake.faults.add({ method: 'PUT', path: '/upload/drive/v3/files', nth: 4, fault: { kind: 'status', status: 503 } });
    const req = request(folder, 'status-503.bin', bytes, item(bytes));
    const remote = await dest.upload(req);
    expect(fake.faults.log.slice(logged).filter((r) => r.fault)).toHaveLength(2);
    expect(remote.md5).toBe(md5(bytes));
    expect(new Set(req.checkpoints.map(driveSession)).size).toBe(1);
    expect(fake.findByName('status-503.bin', folder.id)).toHaveLength(1);
  });

  it('starts over when the checkpointed session has expired', async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(800 * KiB);
    const it = item(bytes);
    const abort = new AbortController();
    const first = request(folder, 'expired.bin', bytes, it, { signal: abort.signal });
    first.onCheckpoint = (cp) => {
      first.checkpoints.push(cp);
      if (cp.confirmedOffset > 0) abort.abort();
    };
    await expect(dest.upload(first)).rejects.toThrow();
    fake.expireSession(driveSession(first.checkpoints.at(-1)));
    const second = request(folder, 'expired.bin', bytes, it, { checkpoint: first.checkpoints.at(-1) });
    const remote = await dest.upload(second);
    expect(remote.md5).toBe(md5(bytes));
    expect(second.opens).toEqual([0]);
    expect(driveSession(second.checkpoints[0])).not.toBe(driveSession(first.checkpoints[0]));
    expect(fake.findByName('expired.bin', folder.id)).toHaveLength(1);
  });

  it('reports the md5 of what Drive stored, so a corrupted copy shows (multipart and resumable)', async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('');
    for (const size of [20 * KiB, 600 * KiB]) {
      const bytes = randomBytes(size);
      fake.faults.add({
        path: '/upload/drive/v3/files',
        method: size > 512 * KiB ? 'PUT' : 'POST',
        fault: { kind: 'corrupt', offset: 1000 },
      });
      const remote = await dest.upload(request(folder, `c${size}.bin`, bytes, item(bytes)));
      expect(remote.size).toBe(bytes.length);
      expect(remote.md5).not.toBe(md5(bytes));
    }
  });

  it("gives a suffixed name when someone else's file holds the name, and never overwrites it", async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('');
    const theirs = fake.addFile({ name: 'IMG_1.jpg', parentId: folder.id, content: Buffer.from('their photo') });
    const bytes = randomBytes(10 * KiB);
    const it = item(bytes);
    const probe = await dest.probe(folder, 'IMG_1.jpg', it);
    expect(probe).toEqual({ freeName: 'IMG_1 (2).jpg' });
    await dest.upload(request(folder, probe.freeName, bytes, it));
    expect(fake.file(theirs.id)!.content!.toString()).toBe('their photo');
    expect((await dest.probe(folder, 'IMG_1.jpg', it)).existing?.name).toBe('IMG_1 (2).jpg');
    expect((await dest.probe(folder, 'IMG_1.jpg', item(bytes))).freeName).toBe('IMG_1 (3).jpg');
  });

  it('lists a folder once (paged) and answers probes from it as probe would: tag, suffix, claims', async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('');
    fake.addFile({ name: 'IMG_1.jpg', parentId: folder.id, content: Buffer.from('their photo') });
    const ours = randomBytes(10 * KiB);
    const it = item(ours);
    const uploaded = await dest.upload(request(folder, 'renamed.jpg', ours, it));
    for (let i = 0; i < 1005; i++) fake.addFile({ name: `x${i}.jpg`, parentId: folder.id, content: Buffer.from('x') });
    const before = fake.log.length;
    const index = await dest.listFolder!(folder);
    // 1,007 children at 1,000 a page: two requests answer every probe below.
    expect(fake.log.slice(before).map((r) => r.query.pageToken !== undefined)).toEqual([false, true]);
    expect(await index.probe('IMG_1.jpg', item(ours))).toEqual({ freeName: 'IMG_1 (2).jpg' });
    expect((await index.probe('x1004.JPG', item(ours))).freeName).toBe('x1004 (2).JPG');
    expect((await index.probe('IMG_1.jpg', it)).existing).toMatchObject({ id: uploaded.id, name: 'renamed.jpg' });
    index.claim('IMG_1 (2).jpg');
    expect(await index.probe('IMG_1.jpg', item(ours))).toEqual({ freeName: 'IMG_1 (3).jpg' });
    expect(await index.probe('new.jpg', item(ours))).toEqual({ freeName: 'new.jpg' });
    expect(fake.log.length - before).toBe(2);
  });

  it('maps rate limits to RateLimited with the Retry-After delay, quota to QuotaExhausted, 5xx to retryable', async () => {
    const dest = destination(root());
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(10 * KiB);
    fake.faults.add({
      method: 'GET',
      path: '/drive/v3/files',
      fault: { kind: 'status', status: 403, reason: 'userRateLimitExceeded', retryAfter: 7 },
    });
    const limited = await expectFailure(dest.probe(folder, 'x.jpg', item(bytes)), FailureType.RateLimited, false);
    expect(limited.nextRetryDelay).toBe(7000);
    fake.faults.add({
      method: 'POST',
      path: '/upload/drive/v3/files',
      fault: { kind: 'status', status: 429, reason: 'rateLimitExceeded' },
    });
    await expectFailure(dest.upload(request(folder, 'x.jpg', bytes, item(bytes))), FailureType.RateLimited, false);
    fake.faults.add({ method: 'POST', path: '/upload/drive/v3/files', fault: { kind: 'status', status: 503 } });
    await expectFailure(
      dest.upload(request(folder, 'x.jpg', bytes, item(bytes))),
      FailureType.DestinationUnavailable,
      false,
    );
    fake.setQuota(1);
    try {
      const q = await expectFailure(
        dest.upload(request(folder, 'x.jpg', bytes, item(bytes))),
        FailureType.QuotaExhausted,
        true,
      );
      expect(q.message).toMatch(/storageQuotaExceeded/);
      const big = randomBytes(600 * KiB);
      await expectFailure(dest.upload(request(folder, 'y.bin', big, item(big))), FailureType.QuotaExhausted, true);
    } finally {
      fake.setQuota(Infinity);
    }
  });

  it('refreshes an expired access token, and fails AuthRevoked once the user revoked access', async () => {
    const { refreshToken } = oauth.issueTokens();
    const dest = destination(root(), refreshToken);
    const folder = await dest.ensureFolder('');
    oauth.expireAccessTokens();
    const bytes = randomBytes(700 * KiB);
    expect((await dest.upload(request(folder, 'after-refresh.bin', bytes, item(bytes)))).md5).toBe(md5(bytes));
    oauth.revokeRefreshToken(refreshToken);
    const revoked = await expectFailure(dest.probe(folder, 'z.jpg', item(bytes)), FailureType.AuthRevoked, true);
    expect(revoked.message).toMatch(/invalid_grant/);
    await expectFailure(dest.upload(request(folder, 'z.bin', bytes, item(bytes))), FailureType.AuthRevoked, true);
  });
});
