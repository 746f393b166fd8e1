// What Ferry removes at a destination goes to the Trash, never away for good: the folder a worker lost
// a creation race with and a removed copy on Drive (files.update trashed=true), a removed copy on
// Yandex Disk (DELETE without permanently=true). The fakes keep trashed items as the clouds do.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDestination } from '../../activities/clouds';
import type { DestinationSpec } from '../../lib/jobs/copy-to-cloud';
import { FOLDER_MIME, startDriveFake, type DriveFake } from '../../fakes/google-drive';
import { startGoogleOAuthFake, type GoogleOAuthFake } from '../../fakes/google-oauth';
import { startYandexDiskFake, type YandexDiskFake } from '../../fakes/yandex-disk';
import { startYandexOAuthFake, type YandexOAuthFake } from '../../fakes/yandex-oauth';
import { testConfig } from '../helpers/config';
import { item, request } from './helpers';

let google: GoogleOAuthFake;
let drive: DriveFake;
let yandexOAuth: YandexOAuthFake;
let disk: YandexDiskFake;
let config: ReturnType<typeof testConfig>;

beforeAll(async () => {
  google = await startGoogleOAuthFake();
  drive = await startDriveFake({ oauth: google });
  yandexOAuth = await startYandexOAuthFake();
  disk = await startYandexDiskFake({ oauth: yandexOAuth, operationDelayMs: 20 });
  config = testConfig({
    GOOGLE_API_URL: drive.url,
    GOOGLE_TOKEN_URL: google.tokenUrl,
    GOOGLE_CLIENT_ID: google.clientId,
    GOOGLE_CLIENT_SECRET: google.clientSecret,
    YANDEX_DISK_API_URL: disk.url,
  });
});
afterAll(async () => {
  await Promise.all([drive.close(), google.close(), disk.close(), yandexOAuth.close()]);
});

const root = () => `Trash ${randomBytes(4).toString('hex')}`;
const driveDest = (rootFolder: string) =>
  createDestination(
    {
      cloud: 'google_drive',
      rootFolder,
      credentials: { cloud: 'google_drive', refreshToken: google.issueTokens().refreshToken },
    } satisfies DestinationSpec,
    config,
  );
const deletes = (log: Array<{ method: string }>) => log.filter((r) => r.method === 'DELETE');

describe('Google Drive removals go to the Trash', () => {
  it('trashes a removed file: still there, restorable, never deleted', async () => {
    const dest = driveDest(root());
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(5000);
    const remote = await dest.upload(request(folder, 'bad.jpg', bytes, item(bytes)));
    const before = deletes(drive.log).length;
    await dest.remove(remote);
    expect(drive.file(remote.id)).toMatchObject({ trashed: true });
    expect(drive.file(remote.id)!.content!.equals(bytes)).toBe(true);
    expect(await dest.stat(remote)).toBeUndefined();
    expect(deletes(drive.log).length).toBe(before);
  });

  it('trashes the folders that lost a creation race, never deleting one', async () => {
    const name = root();
    await driveDest(name).ensureFolder('');
    const parent = drive.findByName(name).find((f) => !f.trashed)!;
    // Every creation lands late: the five workers all look, find nothing, and create their own.
    drive.faults.add({ method: 'POST', path: '/drive/v3/files', times: 5, fault: { kind: 'delay', ms: 400 } });
    const before = deletes(drive.log).length;
    const refs = await Promise.all(Array.from({ length: 5 }, () => driveDest(name).ensureFolder('Album')));
    const winner = refs[0]!.id;
    expect(new Set(refs.map((r) => r.id))).toEqual(new Set([winner]));
    const albums = drive.findByName('Album', parent.id).filter((f) => f.mimeType === FOLDER_MIME);
    const losers = albums.filter((f) => f.id !== winner);
    expect(losers.length).toBeGreaterThan(0);
    expect(losers.every((f) => f.trashed)).toBe(true);
    expect(albums.find((f) => f.id === winner)?.trashed).toBe(false);
    expect(deletes(drive.log).length).toBe(before);
  });
});

describe('Yandex Disk removals go to the Trash', () => {
  it('DELETEs without permanently=true: the file leaves the folder and waits in the Trash', async () => {
    const tokens = yandexOAuth.issueTokens();
    const dest = createDestination(
      { cloud: 'yadisk', rootFolder: root(), credentials: { cloud: 'yadisk', token: tokens.accessToken } },
      config,
    );
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(3000);
    const remote = await dest.upload(request(folder, 'bad.jpg', bytes, item(bytes)));
    await dest.remove(remote);
    expect(disk.node(remote.id)).toBeUndefined();
    const del = disk.log.filter((r) => r.method === 'DELETE').at(-1)!;
    expect(del.query).toEqual({ path: remote.id });
    const inTrash = disk.trashed().find((n) => n.name === 'bad.jpg' && n.content?.equals(bytes));
    expect(inTrash?.path).toMatch(/^trash:\/bad\.jpg/);
  });

  it('the fake: permanently=true deletes for good, the Trash counts in the used space, folders go async', async () => {
    const tokens = yandexOAuth.issueTokens();
    const auth = { authorization: `OAuth ${tokens.accessToken}` };
    const at = (path: string, extra = '') => `${disk.url}/resources?path=${encodeURIComponent(path)}${extra}`;
    const dir = `disk:/${root()}`;
    disk.addFile(dir);
    disk.addFile(`${dir}/a.bin`, Buffer.alloc(100));
    disk.addFile(`${dir}/b.bin`, Buffer.alloc(50));
    const used = async () =>
      (await (await fetch(`${disk.url}`, { headers: auth })).json()) as { used_space: number; trash_size: number };
    const start = await used();
    expect((await fetch(at(`${dir}/b.bin`, '&permanently=true'), { method: 'DELETE', headers: auth })).status).toBe(
      204,
    );
    expect(disk.trashed().some((n) => n.path.includes('b.bin'))).toBe(false);
    const folderDelete = await fetch(at(dir), { method: 'DELETE', headers: auth });
    expect(folderDelete.status).toBe(202);
    expect(disk.node(`${dir}/a.bin`)).toBeUndefined();
    const after = await used();
    expect(after.used_space).toBe(start.used_space - 50);
    expect(after.trash_size).toBeGreaterThanOrEqual(100);
  });
});
