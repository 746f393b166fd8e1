// HashingSource's error channel: a source failing mid-body is reported (so an upload cannot wait forever
// for the rest), while a stream the uploader abandons itself — a Drive chunk that failed and is resent
// from the confirmed offset — is not a source failure and must not fail the attempt.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGoogleDriveDestination } from '../../activities/clouds/google-drive';
import { HashingSource } from '../../activities/copy/hashing';
import { SourceReader } from '../../activities/copy/source';
import { startDriveFake, type DriveFake } from '../fakes/google-drive';
import { startGoogleOAuthFake, type GoogleOAuthFake } from '../fakes/google-oauth';
import { startSourceServer, type SourceServer } from '../fakes/source-server';
import { testConfig } from '../helpers/config';
import { item, md5 } from '../clouds/helpers';

let oauth: GoogleOAuthFake;
let drive: DriveFake;
let source: SourceServer;
beforeAll(async () => {
  oauth = await startGoogleOAuthFake();
  drive = await startDriveFake({ oauth });
  source = await startSourceServer();
});
afterAll(() => Promise.all([drive.close(), oauth.close(), source.close()]));

function hashing(path: string, errors: string[]) {
  return new HashingSource(new SourceReader(source.urlOf(path), { allowPrivateNetwork: true }), undefined, (err) =>
    errors.push(err.message),
  );
}

describe('HashingSource errors', () => {
  it.each([
    ['dropped', { kind: 'drop', afterBytes: 700 } as const],
    ['503', { kind: 'status', status: 503 } as const],
  ])('a Drive chunk %s mid-upload is resent without a source error', async (_, fault) => {
    const config = testConfig({
      GOOGLE_API_URL: drive.url,
      GOOGLE_TOKEN_URL: oauth.tokenUrl,
      GOOGLE_CLIENT_ID: oauth.clientId,
      GOOGLE_CLIENT_SECRET: oauth.clientSecret,
      DRIVE_RESUMABLE_CUTOFF: String(1024 * 1024),
      DRIVE_CHUNK_SIZE: String(256 * 1024),
    });
    const dest = createGoogleDriveDestination(
      {
        cloud: 'google_drive',
        rootFolder: `Chunks ${randomBytes(3).toString('hex')}`,
        credentials: { cloud: 'google_drive', refreshToken: oauth.issueTokens().refreshToken },
      },
      config,
    );
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(1_500_000);
    const path = `/chunks-${randomBytes(3).toString('hex')}.bin`;
    source.addFile(path, bytes);
    drive.faults.add({ method: 'PUT', path: '/upload/drive/v3/files', nth: 3, fault });
    const errors: string[] = [];
    const src = hashing(path, errors);
    const it = item(bytes);
    const remote = await dest.upload({
      folder,
      name: 'chunked.bin',
      item: it,
      size: bytes.length,
      open: (offset) => src.open(offset),
      tags: { sourceKey: it.key, size: bytes.length, md5: '' },
      finalMd5: () => src.digest().md5,
    });
    drive.faults.clear();
    expect(drive.faults.log.some((r) => r.fault)).toBe(true);
    expect(remote.md5).toBe(md5(bytes));
    expect(src.digest().md5).toBe(md5(bytes));
    // Give a late error from the abandoned stream time to arrive.
    await new Promise((r) => setTimeout(r, 100));
    expect(errors).toEqual([]);
  });

  it('reports a source that drops its connection mid-body', async () => {
    const path = `/dropping-${randomBytes(3).toString('hex')}.bin`;
    source.addFile(path, randomBytes(300_000));
    source.injectFault({ kind: 'drop', afterBytes: 100_000 }, { path });
    const errors: string[] = [];
    const stream = await hashing(path, errors).open(0);
    await expect(stream.toArray()).rejects.toThrow();
    expect(errors).toHaveLength(1);
  });
});
