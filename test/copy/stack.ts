// The outside world of a copy test: Google OAuth + Drive, Yandex OAuth + Disk and a source file server,
// all real HTTP fakes on loopback, plus the Config and destination specs that point Ferry at them.
import { randomBytes } from 'node:crypto';
import type { Config } from '../../lib/config';
import type { CopyPlanItem, DestinationSpec } from '../../lib/jobs/copy-to-cloud';
import { startDriveFake } from '../../fakes/google-drive';
import { startGoogleOAuthFake } from '../../fakes/google-oauth';
import { startSourceServer } from '../../fakes/source-server';
import { startYandexDiskFake } from '../../fakes/yandex-disk';
import { startYandexOAuthFake } from '../../fakes/yandex-oauth';
import { testConfig } from '../helpers/config';

/** A root folder at each fake cloud: every spec carries a fresh grant from the cloud's OAuth fake. */
export function cloudSpecs(
  googleOAuth: { issueTokens(): { refreshToken: string } },
  yandexOAuth: { issueTokens(): { accessToken: string } },
) {
  return {
    driveSpec: (rootFolder: string): DestinationSpec => ({
      cloud: 'google_drive',
      rootFolder,
      credentials: { cloud: 'google_drive', refreshToken: googleOAuth.issueTokens().refreshToken },
    }),
    yandexSpec: (rootFolder: string): DestinationSpec => ({
      cloud: 'yadisk',
      rootFolder,
      credentials: { cloud: 'yadisk', token: yandexOAuth.issueTokens().accessToken },
    }),
  };
}

export async function startCopyStack(opts: { latencyMs?: number; env?: Record<string, string> } = {}) {
  const googleOAuth = await startGoogleOAuthFake();
  const yandexOAuth = await startYandexOAuthFake();
  const drive = await startDriveFake({ oauth: googleOAuth, latencyMs: opts.latencyMs });
  const yandex = await startYandexDiskFake({ oauth: yandexOAuth, latencyMs: opts.latencyMs, operationDelayMs: 50 });
  const source = await startSourceServer({ latencyMs: opts.latencyMs });
  const env = {
    GOOGLE_CLIENT_ID: googleOAuth.clientId,
    GOOGLE_CLIENT_SECRET: googleOAuth.clientSecret,
    GOOGLE_TOKEN_URL: googleOAuth.tokenUrl,
    GOOGLE_API_URL: drive.url,
    YANDEX_OAUTH_URL: yandexOAuth.url,
    YANDEX_DISK_API_URL: yandex.url,
    DRIVE_RESUMABLE_CUTOFF: String(1024 * 1024),
    DRIVE_CHUNK_SIZE: String(256 * 1024),
    // The source fake listens on loopback: the worker's own config allows it (a workflow input cannot).
    FERRY_ALLOW_PRIVATE_NETWORK: '1',
    GALLERY_FILE_HOSTS: '127.0.0.1',
    ...opts.env,
  };
  const config: Config = testConfig(env);

  const { driveSpec, yandexSpec } = cloudSpecs(googleOAuth, yandexOAuth);

  /** Registers `n` random files on the source and returns their plan items (with size/md5/crc32). */
  const makeFiles = (
    prefix: string,
    n: number,
    sizeOf: (i: number) => number = () => 2048 + Math.floor(Math.random() * 30_000),
    albums = 3,
  ) =>
    Array.from({ length: n }, (_, i): CopyPlanItem => {
      const path = `/${prefix}/file-${i}.bin`;
      const sums = source.addFile(path, randomBytes(sizeOf(i)));
      return {
        key: `${prefix}-${i}`,
        relPath: `${prefix}/sub-${i % albums}/file-${i}.bin`,
        sourceUrl: source.urlOf(path),
        size: sums.size,
        md5: sums.md5,
        crc32: sums.crc32,
      };
    });

  return {
    googleOAuth,
    yandexOAuth,
    drive,
    yandex,
    source,
    env,
    config,
    driveSpec,
    yandexSpec,
    makeFiles,
    close: () => Promise.all([googleOAuth.close(), yandexOAuth.close(), drive.close(), yandex.close(), source.close()]),
  };
}

export type CopyStack = Awaited<ReturnType<typeof startCopyStack>>;
