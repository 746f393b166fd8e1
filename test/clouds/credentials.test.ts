// Where the clouds' credentials go, and what happens when their endpoints misbehave: an unreachable
// Google token endpoint is a typed, retryable failure that keeps its cause; Drive's bearer token goes
// only to GOOGLE_API_URL (not to a session URI on another host); Yandex's OAuth token goes only to
// YANDEX_DISK_API_URL (never to a host an href in an answer names); a hung Yandex token refresh times out.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGoogleDriveDestination } from '../../activities/clouds/google-drive';
import { createDriveAuth } from '../../activities/clouds/google-drive/auth';
import { createYandexDiskDestination } from '../../activities/clouds/yandex-disk';
import { YandexDiskClient } from '../../activities/clouds/yandex-disk/client';
import { freePort } from '../../dev/ports';
import { startDriveFake, type DriveFake } from '../../fakes/google-drive';
import { startGoogleOAuthFake, type GoogleOAuthFake } from '../../fakes/google-oauth';
import { startSourceServer, type SourceServer } from '../../fakes/source-server';
import { startYandexDiskFake, type YandexDiskFake } from '../../fakes/yandex-disk';
import { startYandexOAuthFake, type YandexOAuthFake } from '../../fakes/yandex-oauth';
import { testConfig } from '../helpers/config';
import { item, request } from './helpers';

let oauth: YandexOAuthFake;
let disk: YandexDiskFake;
let google: GoogleOAuthFake;
let drive: DriveFake;
let source: SourceServer;
// A host that is not the Yandex API: it records every request and the Authorization it carried.
const foreign: Array<{ url: string; authorization?: string }> = [];
const foreignServer = createServer((req, res) => {
  foreign.push({ url: req.url ?? '', authorization: req.headers.authorization });
  res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"success"}');
});
let foreignUrl = '';

beforeAll(async () => {
  oauth = await startYandexOAuthFake();
  disk = await startYandexDiskFake({ oauth, operationDelayMs: 50 });
  source = await startSourceServer();
  google = await startGoogleOAuthFake();
  drive = await startDriveFake({ oauth: google });
  await new Promise<void>((r) => foreignServer.listen(0, '127.0.0.1', r));
  foreignUrl = `http://localhost:${(foreignServer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await Promise.all([oauth.close(), disk.close(), source.close(), drive.close(), google.close()]);
  await new Promise((r) => foreignServer.close(r));
});

describe('Google token endpoint unreachable', () => {
  it('fails typed and retryable, with the cause kept (not `undefined`)', async () => {
    const config = testConfig({
      GOOGLE_TOKEN_URL: `http://127.0.0.1:${await freePort()}/token`,
      GOOGLE_CLIENT_ID: 'id',
      GOOGLE_CLIENT_SECRET: 'secret',
    });
    const auth = createDriveAuth({ cloud: 'google_drive', refreshToken: '1//dead' }, config);
    const err = (await auth.token().catch((e: unknown) => e ?? 'undefined was thrown')) as {
      type?: string;
      nonRetryable?: boolean;
      message?: string;
      cause?: unknown;
    };
    expect(err).toMatchObject({ type: 'DestinationUnavailable', nonRetryable: false });
    expect(err.message).toMatch(/refreshing the Google access token: .*ECONNREFUSED/);
    expect(err.cause).toBeInstanceOf(Error);

    // The same through the adapter: a folder lookup fails with the reason, not with nothing.
    const dest = createGoogleDriveDestination(
      { cloud: 'google_drive', rootFolder: 'X', credentials: { cloud: 'google_drive', refreshToken: '1//dead' } },
      config,
    );
    await expect(dest.ensureFolder('a')).rejects.toMatchObject({ type: 'DestinationUnavailable' });
  });
});

describe('Drive credentials', () => {
  it('never sends the bearer token to a resumable session on another host', async () => {
    const config = testConfig({
      GOOGLE_API_URL: drive.url,
      GOOGLE_TOKEN_URL: google.tokenUrl,
      GOOGLE_CLIENT_ID: google.clientId,
      GOOGLE_CLIENT_SECRET: google.clientSecret,
      DRIVE_RESUMABLE_CUTOFF: '1024',
    });
    const dest = createGoogleDriveDestination(
      {
        cloud: 'google_drive',
        rootFolder: `Creds ${randomBytes(3).toString('hex')}`,
        credentials: { cloud: 'google_drive', refreshToken: google.issueTokens().refreshToken },
      },
      config,
    );
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(4096);
    // A checkpoint naming a session on another host.
    const checkpoint = {
      kind: 'drive' as const,
      sessionUri: `${foreignUrl}/upload/drive/v3/files?upload_id=x`,
      confirmedOffset: 0,
      total: 4096,
    };
    await expect(dest.upload(request(folder, 'big.bin', bytes, item(bytes), { checkpoint }))).rejects.toMatchObject({
      type: 'ForbiddenTarget',
    });
    expect(foreign).toEqual([]);
  });
});

describe('Yandex credentials', () => {
  const config = () =>
    testConfig({
      YANDEX_DISK_API_URL: disk.url,
      YANDEX_OAUTH_URL: oauth.url,
      YANDEX_CLIENT_ID: oauth.clientId,
      YANDEX_CLIENT_SECRET: oauth.clientSecret,
    });

  it('polls an operation whose href names a foreign host at the API, and never sends the token there', async () => {
    // An answer that points the operation at another host, as a hostile or broken proxy could.
    const rewriting: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const url = new URL(String(input instanceof Request ? input.url : input));
      if (init?.method !== 'POST' || url.pathname !== '/v1/disk/resources/upload') return res;
      const body = (await res.json()) as { href: string };
      const moved = body.href.replace(/^https?:\/\/[^/]+/, foreignUrl);
      return new Response(JSON.stringify({ ...body, href: moved }), { status: res.status, headers: res.headers });
    };
    const { accessToken } = oauth.issueTokens();
    const dest = createYandexDiskDestination(
      {
        cloud: 'yadisk',
        rootFolder: `Creds ${randomBytes(3).toString('hex')}`,
        credentials: { cloud: 'yadisk', token: accessToken },
      },
      config(),
      { fetch: rewriting },
    );
    const folder = await dest.ensureFolder('');
    const bytes = randomBytes(2000);
    source.addFile('/public.jpg', bytes);
    const remote = await dest.uploadFromUrl!({
      folder,
      name: 'public.jpg',
      item: { ...item(bytes), sourceUrl: source.urlOf('/public.jpg') },
    });
    expect(remote).toMatchObject({ name: 'public.jpg', size: bytes.length });
    expect(foreign).toEqual([]);
    expect(disk.log.some((r) => r.path.startsWith('/v1/disk/operations/'))).toBe(true);
  });

  it('refuses to send the token to any URL off YANDEX_DISK_API_URL', async () => {
    const client = new YandexDiskClient({ token: oauth.issueTokens().accessToken, config: config() });
    await expect(client.request('GET', `${foreignUrl}/v1/disk/resources`, { path: 'disk:/' })).rejects.toMatchObject({
      type: 'ForbiddenTarget',
    });
    expect(foreign).toEqual([]);
  });

  it('does not follow a redirect from the API: the token would travel with it', async () => {
    const api = createServer((req, res) => res.writeHead(307, { location: `${foreignUrl}${req.url}` }).end());
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    try {
      const client = new YandexDiskClient({
        token: oauth.issueTokens().accessToken,
        config: testConfig({ YANDEX_DISK_API_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}/v1/disk` }),
      });
      await expect(client.request('GET', '/resources', { path: 'disk:/' })).rejects.toMatchObject({ status: 307 });
      expect(foreign).toEqual([]);
    } finally {
      await new Promise((r) => api.close(r));
    }
  });

  it('gives up on a token refresh that hangs', async () => {
    const { refreshToken } = oauth.issueTokens();
    oauth.faults.add({ path: '/token', times: 1, fault: { kind: 'delay', ms: 5_000 } });
    const client = new YandexDiskClient({ token: 'y0_expired', refreshToken, config: config(), refreshTimeoutMs: 300 });
    const started = Date.now();
    await expect(client.request('GET', '/resources', { path: 'disk:/' })).rejects.toMatchObject({
      type: 'DestinationUnavailable',
      nonRetryable: false,
    });
    expect(Date.now() - started).toBeLessThan(4_000);
  });
});
