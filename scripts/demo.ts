// `npm run demo`: Ferry's three jobs end to end through the real API and Temporal, against LOCAL
// STAND-INS of the outside services (the test fakes: VK, the gallery platform, Google OAuth/Drive/Sheets,
// Yandex OAuth/Disk, IT Resume, an SMTP sink) — nothing leaves this machine. It starts the local stack
// with its environment pointed at the stand-ins, on its own task queue, API port and database (so it
// runs beside `npm start`, reusing its Temporal and Web UI when one answers), runs a gallery transfer,
// a VK backup with its progress bar and an ETL run, and prints what happened and the Web UI links.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { operatorAuthHeaders } from '../api/auth';
import { loadConfig } from '../lib/config';
import { freePort } from '../dev/ports';
import { createClient } from '../lib/temporal';
import { formatBytes, progressBar } from '../cli/progress';
import type { BackupStatus } from '../client/backup-status';
import { startGalleryFake } from '../fakes/gallery';
import { startDriveFake } from '../fakes/google-drive';
import { startGoogleOAuthFake } from '../fakes/google-oauth';
import { startGoogleSheetsFake } from '../fakes/google-sheets';
import { startItResumeFake } from '../fakes/itresume';
import { startSmtpSink } from '../fakes/smtp-sink';
import { startSourceServer } from '../fakes/source-server';
import { startVkFake } from '../fakes/vk';
import { startYandexDiskFake } from '../fakes/yandex-disk';
import { startYandexOAuthFake } from '../fakes/yandex-oauth';
import { startStack } from './stack';

const ARCHIVE_HOST = 'arch.gallery.demo';
const say = (line = '') => console.log(line);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const title = (t: string) => say(`\n━━ ${t} ${'━'.repeat(Math.max(0, 70 - t.length))}`);

async function json<T>(res: Response): Promise<T> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${res.url}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

async function poll<T>(
  url: string,
  done: (s: T) => boolean,
  onEach: (s: T) => void = () => {},
  headers: Record<string, string> = {},
  ms = 180_000,
) {
  const end = Date.now() + ms;
  for (;;) {
    const s = await json<T>(await fetch(url, { headers }));
    onEach(s);
    if (done(s)) return s;
    if (Date.now() > end) throw new Error(`timed out following ${url}`);
    await sleep(400);
  }
}

async function main() {
  title('Ferry demo — against LOCAL STAND-INS of VK, the gallery platform, Google, Yandex, IT Resume, SMTP');
  const [google, yandex, gallery, files, vk, itresume, smtp] = await Promise.all([
    startGoogleOAuthFake(),
    startYandexOAuthFake(),
    startGalleryFake({ basePath: '/gallery' }),
    startSourceServer(),
    startVkFake(),
    startItResumeFake({ recordsPerDay: 300 }),
    startSmtpSink(),
  ]);
  const [drive, disk, sheets] = await Promise.all([
    startDriveFake({ oauth: google }),
    startYandexDiskFake({ oauth: yandex, operationDelayMs: 20 }),
    startGoogleSheetsFake({ validAccessToken: (t, s) => google.validAccessToken(t, s) }),
  ]);
  const fakes = [google, yandex, gallery, files, vk, itresume, smtp, drive, disk, sheets];
  const spreadsheetId = sheets.createSpreadsheet(['Daily']);

  const apiPort = await freePort();
  const publicUrl = `http://localhost:${apiPort}`;
  // `npm start`'s dev key, when there is one: the Web UI it serves can then decode the demo's payloads.
  const devKey = resolve('.data/encryption.key');
  const env: Record<string, string> = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    FERRY_DATA_DIR: '.data/demo',
    FERRY_PG_PORT: String(await freePort()),
    ...(existsSync(devKey) && !process.env.FERRY_ENCRYPTION_KEY
      ? { FERRY_ENCRYPTION_KEY: readFileSync(devKey, 'utf8').trim() }
      : {}),
    TEMPORAL_TASK_QUEUE: `ferry-demo-${randomBytes(3).toString('hex')}`,
    PORT: String(apiPort),
    FERRY_PUBLIC_URL: publicUrl,
    WORKER_HEALTH_PORT: '0',
    WORKER_SDK_METRICS_PORT: '0',
    API_METRICS_PORT: '0', // beside `npm start`, whose API holds the default port
    FERRY_ALLOW_PRIVATE_NETWORK: '1', // the stand-ins listen on loopback
    GOOGLE_CLIENT_ID: google.clientId,
    GOOGLE_CLIENT_SECRET: google.clientSecret,
    GOOGLE_AUTH_URL: google.authUrl,
    GOOGLE_TOKEN_URL: google.tokenUrl,
    GOOGLE_REVOKE_URL: google.revokeUrl,
    GOOGLE_API_URL: drive.url,
    GOOGLE_SHEETS_API_URL: sheets.url,
    YANDEX_CLIENT_ID: yandex.clientId,
    YANDEX_CLIENT_SECRET: yandex.clientSecret,
    YANDEX_OAUTH_URL: yandex.url,
    YANDEX_DISK_API_URL: disk.url,
    GALLERY_API_URL: gallery.url,
    GALLERY_ALLOWED_HOSTS: ARCHIVE_HOST,
    GALLERY_FILE_HOSTS: '127.0.0.1',
    REDIRECT_ALLOWED_HOSTS: 'front.gallery.demo',
    VK_API_URL: vk.apiUrl,
    VK_FILE_HOSTS: '127.0.0.1',
    ITRESUME_API_URL: itresume.url,
    ITRESUME_CLIENT: itresume.client,
    ITRESUME_CLIENT_KEY: itresume.clientKey,
    GOOGLE_SERVICE_ACCOUNT_JSON: JSON.stringify(google.createServiceAccount()),
    SHEETS_SPREADSHEET_ID: spreadsheetId,
    SMTP_URL: smtp.url,
    MAIL_FROM: 'ferry@demo.local',
    MAIL_TO: 'data-team@demo.local',
    LOG_DIR: '.data/demo/logs',
    // The worker keeps the daily ETL schedule up to date at start: the demo's own, removed at the end.
    ETL_SCHEDULE_ID: 'ferry-demo-etl',
  };
  google.addRedirectUri(`${publicUrl}/oauth/google/callback`);
  yandex.addRedirectUri(`${publicUrl}/oauth/yandex/callback`);

  say('starting the local stack (Temporal, PostgreSQL, worker, API)...');
  let reusedTemporal = false;
  const stack = await startStack({
    env,
    log: (l) => {
      if (l.startsWith('Temporal already answers')) reusedTemporal = true;
      if (/^\[(worker|api)\]/.test(l) && /"level":(50|60)|Error/.test(l)) console.error(l);
    },
  });
  const config = loadConfig({ ...process.env, ...env });
  const api = stack.urls.api.replace('localhost', '127.0.0.1');
  // The job routes need FERRY_API_TOKEN when it is set (from the environment); without it the API
  // serves this machine only, which the demo is.
  const operator = operatorAuthHeaders(config);
  const links: Array<[string, string]> = [];
  const link = (workflowId: string) =>
    `${config.TEMPORAL_UI_URL}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(workflowId)}`;

  try {
    // ── 1. Gallery archive -> Google Drive ─────────────────────────────────────────────────────────
    title('1. Gallery archive -> Google Drive (POST /cloud_archive)');
    const names = ['Ceremony/IMG_001.jpg', 'Ceremony/IMG_002.jpg', 'Party/Dance/IMG_101.jpg', 'cover.jpg'];
    const entries = names.map((name, i) => {
      const id = 49_851_000 + i;
      const path = `/uploads/${id}/${name.split('/').pop()}`;
      const { size, crc32 } = files.addFile(path, randomBytes(40_000 + i * 10_000), 'image/jpeg');
      return { id, name, url: files.urlOf(path), filesize: size, crc: crc32, created_at: '2024-08-17 12:54:32 +0300' };
    });
    const archivePath = `/g/api/stream/${Date.now()}/demo${randomBytes(4).toString('hex')}`;
    gallery.setListing(archivePath, entries);
    const started = await json<{ id: string; redirect_to: string }>(
      await fetch(`${api}/cloud_archive`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          archive_url: `https://${ARCHIVE_HOST}${archivePath}?mod=web`,
          gallery_name: 'Anna & Max wedding',
          archive_type: 'originals',
          cloud_type: 'google_drive',
          redirect_success_link: 'https://front.gallery.demo/done?ok=1',
          redirect_fail_link: 'https://front.gallery.demo/done?ok=0',
        }),
      }),
    );
    say(`request ${started.id}: the user is sent to Google's consent page (stand-in), and consents`);
    const consent = await fetch(started.redirect_to, { redirect: 'manual' });
    const back = await fetch(consent.headers.get('location')!, { redirect: 'manual' });
    say(`OAuth callback -> ${back.status} to ${back.headers.get('location')}`);
    const final = await poll<{ state: string; progress?: { files: { done: number; total: number } } }>(
      `${api}/cloud_archive/${started.id}`,
      (s) => ['done', 'failed', 'expired'].includes(s.state),
    );
    say(
      `state: ${final.state}; files ${final.progress?.files.done}/${final.progress?.files.total} copied and verified`,
    );
    for (const f of drive.files().filter((x) => x.mimeType !== 'application/vnd.google-apps.folder')) {
      say(`  Drive: ${f.name}  ${formatBytes(Number(f.size ?? 0))}  md5 ${f.md5}`);
    }
    say(`gallery platform told "done": ${JSON.stringify(gallery.acceptedDone().at(-1))}`);
    links.push(['gallery transfer', link(`cloud-archive-${started.id}`)]);

    // ── 2. VK photo backup -> Yandex Disk ─────────────────────────────────────────────────────────
    title('2. VK backup of ivan.petrov -> Yandex Disk (POST /vk-backups)');
    const vkStarted = await json<{ id: string; status_url: string }>(
      await fetch(`${api}/vk-backups`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...operator },
        body: JSON.stringify({
          user: 'ivan.petrov',
          count: 'all',
          album: 'profile',
          folder: 'VK_Demo',
          vk_token: vk.validToken,
          targets: [{ cloud: 'yadisk', token: yandex.issueTokens().accessToken }],
        }),
      }),
    );
    const bar = progressBar(process.stdout);
    const vkFinal = await poll<BackupStatus & { report?: Array<{ file_name: string; size: string }> }>(
      new URL(vkStarted.status_url, api).href,
      (s) => s.state !== 'running',
      (s) => bar.update(s),
      operator,
    );
    bar.stop();
    say(`state: ${vkFinal.state}; report (photos.json): ${JSON.stringify(vkFinal.report)}`);
    links.push(['VK backup', link(vkStarted.id)]);

    // ── 3. Daily ETL: IT Resume -> PostgreSQL -> Sheets + e-mail ──────────────────────────────────
    title('3. Daily ETL for yesterday (POST /etl-runs)');
    const etl = await json<{ id: string; status_url: string }>(
      await fetch(`${api}/etl-runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...operator },
        body: '{}',
      }),
    );
    const etlFinal = await poll<{ status: string; totals: Record<string, number>; failure: string | null }>(
      new URL(etl.status_url, api).href,
      (s) => s.status !== 'RUNNING',
      () => {},
      operator,
    );
    say(
      `status: ${etlFinal.status}; totals: ${JSON.stringify(etlFinal.totals)}${etlFinal.failure ? `; ${etlFinal.failure}` : ''}`,
    );
    for (const row of sheets.rows(spreadsheetId)) say(`  Sheets row: ${JSON.stringify(row)}`);
    for (const m of smtp.messages) {
      const to = (Array.isArray(m.to) ? m.to : [m.to]).map((a) => a?.text).join(', ');
      say(`  e-mail to ${to}: ${m.subject}`);
    }
    if (etlFinal.totals.inserted === 0 && etlFinal.totals.duplicates! > 0) {
      say('  (an earlier demo run loaded this day already: the re-run inserted nothing twice)');
    }
    links.push(['ETL run', link(etl.id)]);

    title('Temporal Web UI');
    for (const [what, url] of links) say(`  ${what.padEnd(17)} ${url}`);
    say('\nAll of the above ran against local stand-ins; nothing was sent to a real service.');
    // The demo's own Temporal dies with it: keep it up while someone reads the links.
    if (!reusedTemporal && process.stdin.isTTY) {
      say('The Web UI above belongs to this demo: press Ctrl-C to stop it.');
      await new Promise<void>((r) => process.once('SIGINT', () => r()));
    }
  } finally {
    try {
      const client = await createClient(config);
      await client.schedule
        .getHandle(env.ETL_SCHEDULE_ID!)
        .delete()
        .catch(() => undefined);
      await client.connection.close();
    } catch {
      // Temporal already gone: nothing to tidy.
    }
    await stack.stop();
    await Promise.all(fakes.map((f) => Promise.resolve(f.close()).catch(() => undefined)));
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`demo failed: ${err.message}`);
    process.exit(1);
  },
);
