// bench:gallery's user side: Ferry's API in its own process (compiled as `npm run build` compiles it),
// and one archive request walked through it as the gallery's front end and the user's browser do —
// POST /cloud_archive, the provider's consent page (the OAuth fake consents), the callback, then the
// status polled until the request is done.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { buildEntry } from '../scripts/build';
import type { Stops } from './harness';

export const ARCHIVE_HOST = 'arch.gallery.bench';
const SUCCESS_LINK = 'https://front.gallery.bench/done?ok=1';
const FAIL_LINK = 'https://front.gallery.bench/done?ok=0';

/** Forks the API (dist/bench-api.mjs) on `port`; resolves once /readyz answers 200. */
export async function startApi(
  env: NodeJS.ProcessEnv,
  port: number,
  stops: Stops,
): Promise<{ url: string; pid: number }> {
  const out = resolve('dist/bench-api.mjs');
  await buildEntry('api/main.ts', out);
  const api = fork(out, [], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  stops.push(async () => {
    if (api.exitCode !== null) return;
    const gone = once(api, 'exit');
    api.kill('SIGTERM');
    await gone;
  });
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 60_000; ;) {
    if (api.exitCode !== null) throw new Error(`the API exited (${api.exitCode})`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { url, pid: api.pid! };
    if (Date.now() > deadline) throw new Error('the API did not become ready in 60 s');
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface ArchiveStatus {
  state: string;
  progress: { files: { total: number; done: number; failed: number } };
  report: { failed_photos: number; copied: number } | null;
  error: unknown;
}

/** The request from POST to `done`; `onPoll` sees every status (about once a second). */
export async function runArchive(
  api: string,
  request: { listingPath: string; cloud: 'google_drive' | 'yadisk'; galleryName: string },
  onPoll: (status: ArchiveStatus) => void,
): Promise<ArchiveStatus> {
  const posted = await fetch(`${api}/cloud_archive`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      redirect_success_link: SUCCESS_LINK,
      redirect_fail_link: FAIL_LINK,
      archive_url: `https://${ARCHIVE_HOST}${request.listingPath}?mod=web`,
      gallery_name: request.galleryName,
      archive_type: 'webs',
      cloud_type: request.cloud,
    }),
  });
  if (posted.status !== 200) throw new Error(`POST /cloud_archive: ${posted.status} ${await posted.text()}`);
  const { id, redirect_to } = (await posted.json()) as { id: string; redirect_to: string };
  const consent = await fetch(redirect_to, { redirect: 'manual' });
  const callback = consent.headers.get('location');
  if (consent.status !== 302 || !callback) throw new Error(`consent page: ${consent.status}`);
  const back = await fetch(callback, { redirect: 'manual' });
  if (back.headers.get('location') !== SUCCESS_LINK) throw new Error(`callback: ${back.status} ${await back.text()}`);
  for (;;) {
    const status = (await (await fetch(`${api}/cloud_archive/${id}`)).json()) as ArchiveStatus;
    onPoll(status);
    if (status.state === 'done') return status;
    if (['failed', 'expired'].includes(status.state))
      throw new Error(`the archive ended ${status.state}: ${JSON.stringify(status.error)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
