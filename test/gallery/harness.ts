// The cloud_archive test stack: the gallery platform, its file host, Google's and Yandex's OAuth
// fakes, and Ferry's real API listening on a loopback port, configured to reach only those. Each call
// makes its own stack (own task queue, ports, fakes), so test files run in parallel.
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { afterAll, expect } from 'vitest';
import { createApp } from '../../api/app';
import { createApiMetrics, startApiMetricsServer } from '../../api/metrics';
import type { Config } from '../../lib/config';
import { createPool, type Pool } from '../../lib/db';
import { createLogger, type Logger } from '../../lib/logger';
import type { Tracing } from '../../lib/tracing';
import { freePort } from '../../dev/ports';
import { testConfig } from '../helpers/config';
import { createActivities } from '../../activities';
import { testClient, uniqueTaskQueue, withWorker } from '../helpers/temporal';
import { startGalleryFake, type GalleryEntry, type GalleryFake } from '../../fakes/gallery';
import { startDriveFake, type DriveFake } from '../../fakes/google-drive';
import { startGoogleOAuthFake, type GoogleOAuthFake } from '../../fakes/google-oauth';
import { startSourceServer, type SourceServer } from '../../fakes/source-server';
import { startYandexDiskFake, type YandexDiskFake } from '../../fakes/yandex-disk';
import { startYandexOAuthFake, type YandexOAuthFake } from '../../fakes/yandex-oauth';

export const SUCCESS = 'https://front.gallery.test/done?ok=1';
export const FAIL = 'https://front.gallery.test/done?ok=0';
export const ARCHIVE_HOST = 'arch.gallery.test';

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
});
export const onCleanup = (fn: () => unknown) => cleanups.push(fn);

export interface Stack {
  api: string;
  /** The API's /metrics, on its own port as in production (API_METRICS_PORT). */
  apiMetrics: string;
  config: Config;
  temporal: Client;
  pool: Pool;
  logger: Logger;
  gallery: GalleryFake;
  files: SourceServer;
  google: GoogleOAuthFake;
  yandex: YandexOAuthFake;
  drive: DriveFake;
  disk: YandexDiskFake;
  taskQueue: string;
}

/** Runs `fn` with a worker of every activity on the stack's task queue (traced when `tracing` is given). */
export function withStackWorker<T>(stack: Stack, fn: () => Promise<T>, tracing?: Tracing): Promise<T> {
  const activities = createActivities({ config: stack.config, logger: stack.logger, pool: stack.pool });
  return withWorker({ activities, taskQueue: stack.taskQueue, config: stack.config, ...(tracing && { tracing }) }, fn);
}

export async function startStack(
  overrides: Record<string, string> = {},
  options: { tracing?: Tracing } = {},
): Promise<Stack> {
  const [gallery, files, google, yandex] = await Promise.all([
    startGalleryFake({ basePath: '/gallery' }),
    startSourceServer(),
    startGoogleOAuthFake(),
    startYandexOAuthFake(),
  ]);
  const [drive, disk] = await Promise.all([
    startDriveFake({ oauth: google }),
    startYandexDiskFake({ oauth: yandex, operationDelayMs: 20 }),
  ]);
  cleanups.push(gallery.close, files.close, google.close, yandex.close, drive.close, disk.close);
  const apiPort = await freePort();
  const taskQueue = uniqueTaskQueue('gallery');
  const config = testConfig({
    TEMPORAL_TASK_QUEUE: taskQueue,
    FERRY_PUBLIC_URL: `http://127.0.0.1:${apiPort}`,
    FERRY_ALLOW_PRIVATE_NETWORK: '1',
    GALLERY_API_URL: gallery.url,
    GALLERY_ALLOWED_HOSTS: ARCHIVE_HOST,
    GALLERY_FILE_HOSTS: '127.0.0.1',
    REDIRECT_ALLOWED_HOSTS: 'front.gallery.test',
    GOOGLE_CLIENT_ID: google.clientId,
    GOOGLE_CLIENT_SECRET: google.clientSecret,
    GOOGLE_AUTH_URL: google.authUrl,
    GOOGLE_TOKEN_URL: google.tokenUrl,
    GOOGLE_REVOKE_URL: google.revokeUrl,
    YANDEX_CLIENT_ID: yandex.clientId,
    YANDEX_CLIENT_SECRET: yandex.clientSecret,
    YANDEX_OAUTH_URL: yandex.url,
    GOOGLE_API_URL: drive.url,
    YANDEX_DISK_API_URL: disk.url,
    CLOUD_ARCHIVE_AUTH_TIMEOUT_SECONDS: '120',
    CLOUD_ARCHIVE_RATE_LIMIT_PER_MINUTE: '1000',
    GALLERY_DONE_RETRY_INITIAL_SECONDS: '1',
    GALLERY_DONE_RETRY_MAX_SECONDS: '1',
    COPY_MAX_ATTEMPTS: '2',
    ...overrides,
  });
  google.addRedirectUri(`${config.FERRY_PUBLIC_URL}/oauth/google/callback`);
  yandex.addRedirectUri(`${config.FERRY_PUBLIC_URL}/oauth/yandex/callback`);
  const temporal = await testClient(config, options);
  const pool = createPool(config.DATABASE_URL!);
  const logger = createLogger({ level: 'silent' });
  const metrics = createApiMetrics({ config, temporal, logger });
  const app = createApp({ config, temporal, pool, logger, metrics, tracing: options.tracing });
  const server = app.listen(apiPort, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const metricsServer = await startApiMetricsServer({ port: 0, host: '127.0.0.1', metrics, logger });
  cleanups.push(
    () => new Promise((r) => server.close(r)),
    () => metricsServer.close(),
    () => pool.end(),
  );
  const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const apiMetrics = `http://127.0.0.1:${metricsServer.port}/metrics`;
  return { api, apiMetrics, config, temporal, pool, logger, gallery, files, google, yandex, drive, disk, taskQueue };
}

/** A unique archive path and its link, as the front end would send it. */
export function archive(): { path: string; url: string } {
  const id = Math.floor(Math.random() * 1e9);
  const hash = Math.random().toString(16).slice(2).padEnd(12, '0');
  const path = `/g/api/stream/${id}/${hash}`;
  return { path, url: `https://${ARCHIVE_HOST}${path}?mod=web` };
}

/** Serves `count` small photos on the file host and lists them; returns the entries. */
export function photos(stack: Stack, names: string[]): GalleryEntry[] {
  return names.map((name, i) => {
    const id = 49_851_000 + Math.floor(Math.random() * 100_000) * 100 + i;
    const path = `/uploads/${id}/${encodeURIComponent(name.split('/').pop()!)}`;
    const bytes = Buffer.from(`photo ${name} ${id} `.repeat(50 + i));
    const { size, crc32 } = stack.files.addFile(path, bytes, 'image/jpeg');
    return {
      crc: crc32,
      filesize: size,
      created_at: '2024-08-17 12:54:32 +0300',
      name,
      url: stack.files.urlOf(path),
      id,
    };
  });
}

export function body(overrides: Record<string, unknown> = {}) {
  return {
    redirect_success_link: SUCCESS,
    redirect_fail_link: FAIL,
    archive_url: archive().url,
    gallery_name: 'Test gallery',
    archive_type: 'webs',
    cloud_type: 'google_drive',
    ...overrides,
  };
}

export async function post(stack: Stack, payload: unknown): Promise<Response> {
  return fetch(`${stack.api}/cloud_archive`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

export async function start(stack: Stack, payload: Record<string, unknown>): Promise<{ id: string; redirectTo: URL }> {
  const res = await post(stack, payload);
  expect(res.status, await res.clone().text()).toBe(200);
  const json = (await res.json()) as { redirect_to: string; id: string };
  return { id: json.id, redirectTo: new URL(json.redirect_to) };
}

/** Follows redirect_to into the fake provider; returns the callback URL it sends the browser to. */
export async function consent(redirectTo: URL): Promise<URL> {
  const res = await fetch(redirectTo, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

/** Calls our callback like the browser would; returns status and Location. */
export async function callback(url: URL | string): Promise<{ status: number; location: string | null; body: string }> {
  const res = await fetch(url, { redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), body: await res.text() };
}

export async function status(stack: Stack, id: string): Promise<Record<string, unknown> & { state: string }> {
  const res = await fetch(`${stack.api}/cloud_archive/${id}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown> & { state: string };
}

export async function waitForState(stack: Stack, id: string, states: string[], ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    const s = await status(stack, id);
    if (states.includes(s.state)) return s;
    if (['done', 'failed', 'expired'].includes(s.state)) {
      throw new Error(`ended ${s.state}, not ${states.join('|')}: ${JSON.stringify(s)}`);
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${states.join('|')}; state is ${s.state}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
