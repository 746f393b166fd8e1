// The Drive fake speaks Drive v3 well enough for the real `googleapis` client, unmodified.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { google } from 'googleapis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDriveFake, FOLDER_MIME, type DriveFake } from '../../fakes/google-drive';
import { startGoogleOAuthFake, type GoogleOAuthFake } from '../../fakes/google-oauth';

let oauth: GoogleOAuthFake;
let fake: DriveFake;
let drive: ReturnType<typeof google.drive>;
let rootUrl: string;
let accessToken: string;

beforeAll(async () => {
  oauth = await startGoogleOAuthFake();
  fake = await startDriveFake({ oauth });
  rootUrl = `${fake.url}/`;
  const tokens = oauth.issueTokens();
  accessToken = tokens.accessToken;
  // googleapis carries its own google-auth-library (11.x): its OAuth2 class is the one drive() accepts.
  const auth = new google.auth.OAuth2({
    clientId: oauth.clientId,
    clientSecret: oauth.clientSecret,
    endpoints: { oauth2TokenUrl: oauth.tokenUrl },
  });
  auth.setCredentials({ refresh_token: tokens.refreshToken });
  drive = google.drive({ version: 'v3', auth, rootUrl });
});
afterAll(async () => {
  await fake.close();
  await oauth.close();
});

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

describe('Drive fake with googleapis', () => {
  it('creates folders, lists them with q and fields, pages', async () => {
    const folder = await drive.files.create({
      requestBody: { name: "Tom's \\ photos", mimeType: FOLDER_MIME, parents: ['root'] },
      fields: 'id,name,parents',
    });
    expect(folder.data.id).toBeTruthy();
    expect(folder.data.parents).toEqual([fake.rootId]);
    const q = `name = 'tom\\'s \\\\ photos' and 'root' in parents and mimeType = '${FOLDER_MIME}' and trashed = false`;
    const found = await drive.files.list({ q, fields: 'files(id,name),nextPageToken' });
    expect(found.data.files).toEqual([{ id: folder.data.id, name: "Tom's \\ photos" }]);
    for (let i = 0; i < 5; i++)
      await drive.files.create({ requestBody: { name: `f${i}`, parents: [folder.data.id!] } });
    const names: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await drive.files.list({
        q: `'${folder.data.id}' in parents`,
        pageSize: 2,
        pageToken,
        fields: 'files(name),nextPageToken',
      });
      names.push(...page.data.files!.map((f) => f.name!));
      pageToken = page.data.nextPageToken ?? undefined;
    } while (pageToken);
    expect(names.sort()).toEqual(['f0', 'f1', 'f2', 'f3', 'f4']);
    await expect(drive.files.list({ q: 'name == broken' })).rejects.toMatchObject({ status: 400 });
  });

  it('takes a multipart upload (per-call rootUrl), stores md5 and size as Drive does, finds it by appProperties', async () => {
    const bytes = randomBytes(300_000);
    const res = await drive.files.create(
      {
        requestBody: { name: 'a.jpg', parents: ['root'], appProperties: { ferryKey: 'k-1' } },
        media: { mimeType: 'image/jpeg', body: Readable.from([bytes]) },
        fields: 'id,name,size,md5Checksum,appProperties',
      },
      { rootUrl },
    );
    expect(res.data).toMatchObject({
      name: 'a.jpg',
      size: String(bytes.length),
      md5Checksum: md5(bytes),
      appProperties: { ferryKey: 'k-1' },
    });
    expect(fake.file(res.data.id!)!.content!.equals(bytes)).toBe(true);
    const hit = await drive.files.list({
      q: `appProperties has { key='ferryKey' and value='k-1' } and trashed = false`,
      fields: 'files(id,size)',
    });
    expect(hit.data.files).toEqual([{ id: res.data.id, size: String(bytes.length) }]);
    await drive.files.update({ fileId: res.data.id!, requestBody: { appProperties: { ferryMd5: md5(bytes) } } });
    expect(fake.file(res.data.id!)!.appProperties).toEqual({ ferryKey: 'k-1', ferryMd5: md5(bytes) });
    await drive.files.delete({ fileId: res.data.id! });
    await expect(drive.files.get({ fileId: res.data.id! })).rejects.toMatchObject({ status: 404 });
  });

  it('speaks the resumable protocol: 308 + Range, status query, completion, expired session', async () => {
    const bytes = randomBytes(3 * 256 * 1024 + 1000);
    const init = await fetch(`${fake.url}/upload/drive/v3/files?uploadType=resumable&fields=id,md5Checksum,size`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${accessToken}`,
        'content-type': 'application/json',
        'x-upload-content-length': String(bytes.length),
      },
      body: JSON.stringify({ name: 'big.bin' }),
    });
    expect(init.status).toBe(200);
    const session = init.headers.get('location')!;
    const put = (body: Buffer, range: string) =>
      fetch(session, { method: 'PUT', headers: { 'content-range': range }, body });
    const status0 = await put(Buffer.alloc(0), `bytes */${bytes.length}`);
    expect(status0.status).toBe(308);
    expect(status0.headers.get('range')).toBeNull();
    const r1 = await put(bytes.subarray(0, 512 * 1024), `bytes 0-${512 * 1024 - 1}/${bytes.length}`);
    expect(r1.status).toBe(308);
    expect(r1.headers.get('range')).toBe(`bytes=0-${512 * 1024 - 1}`);
    const bad = await put(
      bytes.subarray(512 * 1024, 512 * 1024 + 1000),
      `bytes ${512 * 1024}-${512 * 1024 + 999}/${bytes.length}`,
    );
    expect(bad.status).toBe(400);
    const done = await put(bytes.subarray(512 * 1024), `bytes ${512 * 1024}-${bytes.length - 1}/${bytes.length}`);
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ md5Checksum: md5(bytes), size: String(bytes.length) });
    expect((await put(Buffer.alloc(0), `bytes */${bytes.length}`)).status).toBe(200);
    fake.expireSession(session);
    const gone = await put(Buffer.alloc(0), `bytes */${bytes.length}`);
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { error: { code: number } }).error.code).toBe(404);
  });

  it("answers Google's error JSON: 401 without a valid token, injected rate limits with Retry-After", async () => {
    const anon = await fetch(`${fake.url}/drive/v3/files`, { headers: { authorization: 'Bearer nope' } });
    expect(anon.status).toBe(401);
    expect(await anon.json()).toMatchObject({ error: { code: 401, errors: [{ reason: 'authError' }] } });
    fake.faults.add({
      method: 'GET',
      path: '/drive/v3/files',
      fault: { kind: 'status', status: 403, reason: 'userRateLimitExceeded', retryAfter: 7 },
    });
    const limited = await fetch(`${fake.url}/drive/v3/files`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(limited.status).toBe(403);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(await limited.json()).toMatchObject({
      error: { errors: [{ domain: 'usageLimits', reason: 'userRateLimitExceeded' }] },
    });
  });
});
