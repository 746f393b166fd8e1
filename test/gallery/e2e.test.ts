// The whole gallery archive flow as users run it: POST /cloud_archive -> the provider's consent page
// (fake) -> our callback -> 302 to the success link -> the copy (real engine, real Temporal) -> files
// in the fake cloud in the right folders, verified -> the platform's done call.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { workflowIdOf } from '../../lib/jobs/cloud-archive';
import { FerryCloudType, FerryJob, FerryStatus } from '../../lib/search-attributes';
import type { GalleryEntry } from '../../fakes/gallery';
import {
  archive,
  body,
  callback,
  consent,
  onCleanup,
  photos,
  start,
  startStack,
  withStackWorker,
  status,
  SUCCESS,
  waitForState,
  type Stack,
} from './harness';

let stack: Stack;
beforeAll(async () => {
  // A low resumable cutoff: these "originals" take Drive's resumable path, as large files do.
  stack = await startStack({ DRIVE_RESUMABLE_CUTOFF: '1024' });
});

const worker = <T>(fn: () => Promise<T>) => withStackWorker(stack, fn);

/** Runs one request from POST to the final state; returns its id and final status. */
async function runArchive(entries: GalleryEntry[], payload: Record<string, unknown>, finalStates = ['done']) {
  const a = archive();
  stack.gallery.setListing(a.path, entries);
  const { id, redirectTo } = await start(stack, body({ archive_url: a.url, ...payload }));
  const back = await consent(redirectTo);
  expect(await callback(back)).toMatchObject({ status: 302, location: SUCCESS });
  const final = await waitForState(stack, id, finalStates, 90_000);
  return { id, final, archiveUrl: a.url };
}

/** The done calls the platform accepted about one gallery. */
const doneFor = (galleryName: string) =>
  stack.gallery.acceptedDone().filter((b) => (b as { gallery_name?: string }).gallery_name === galleryName);

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

/** Drive paths (root folder name first) of every non-folder file, with its md5. */
function drivePaths(): Map<string, string | undefined> {
  const byId = new Map(stack.drive.files().map((f) => [f.id, f]));
  const pathOf = (id: string): string => {
    const f = byId.get(id);
    if (!f) return '';
    const parent = f.parents[0];
    const above = parent && parent !== stack.drive.rootId ? pathOf(parent) : '';
    return above ? `${above}/${f.name}` : f.name;
  };
  return new Map(
    stack.drive
      .files()
      .filter((f) => f.mimeType !== 'application/vnd.google-apps.folder' && !f.trashed)
      .map((f) => [pathOf(f.id), f.md5]),
  );
}

describe('gallery archive end to end', () => {
  it('copies a gallery to Google Drive into album folders, verified, and reports done once', async () => {
    const entries = photos(stack, ['Photos 1/Test_011.jpg', 'Photos 2/Day 2/Test_012.jpg', 'cover.jpg']);
    stack.files.setLatency(400);
    let request = { id: '', archiveUrl: '' };
    const final = await worker(async () => {
      const {
        id,
        final: copying,
        archiveUrl,
      } = await runArchive(entries, { gallery_name: 'Drive Gallery', archive_type: 'originals' }, ['copying']);
      // While the copy child works, the status shows the whole gallery as the total.
      expect(copying.progress).toMatchObject({ files: { total: 3 } });
      request = { id, archiveUrl };
      stack.files.setLatency(0);
      await waitForState(stack, id, ['done']);
      const desc = await stack.temporal.workflow.getHandle(workflowIdOf(id)).describe();
      expect(desc.typedSearchAttributes.get(FerryStatus)).toBe('done');
      expect(desc.typedSearchAttributes.get(FerryJob)).toBe('cloud_archive');
      expect(desc.typedSearchAttributes.get(FerryCloudType)).toBe('google_drive');
      return status(stack, id);
    });
    expect(final.progress).toEqual({
      files: { total: 3, done: 3, failed: 0 },
      bytes: expect.objectContaining({ total: entries.reduce((n, e) => n + e.filesize, 0) }),
    });
    expect(final.report).toMatchObject({ failed_photos: 0, copied: 3, failed: [] });
    const paths = drivePaths();
    for (const e of entries) {
      const served = await (await fetch(e.url)).arrayBuffer();
      expect(paths.get(`Drive Gallery/${e.name}`), e.name).toBe(md5(Buffer.from(served)));
    }
    expect(stack.drive.sessions().length).toBeGreaterThanOrEqual(3);
    // The seed's three fields exactly, then which gallery it is: the URL as received, the name, our id.
    expect(doneFor('Drive Gallery')).toEqual([
      {
        cloud_type: 'google_drive',
        failed_photos: 0,
        archive_type: 'originals',
        archive_url: request.archiveUrl,
        gallery_name: 'Drive Gallery',
        id: request.id,
      },
    ]);
    expect(Object.keys(doneFor('Drive Gallery')[0]!).slice(0, 3)).toEqual([
      'cloud_type',
      'failed_photos',
      'archive_type',
    ]);
  });

  it('copies a gallery to Yandex Disk into album folders and reports done once', async () => {
    const entries = photos(stack, ['Альбом 1/Фото 1.jpg', 'Альбом 1/Фото 2.jpg', 'Deep/er/x.jpg']);
    const { id, archiveUrl } = await worker(async () => {
      const run = await runArchive(entries, { gallery_name: 'Yandex Gallery', cloud_type: 'yadisk' });
      expect(run.final.report).toMatchObject({ failed_photos: 0, copied: 3 });
      return run;
    });
    for (const e of entries) {
      const node = stack.disk.node(`disk:/Yandex Gallery/${e.name}`);
      expect(node?.type, e.name).toBe('file');
      expect(node?.size).toBe(e.filesize);
    }
    expect(doneFor('Yandex Gallery')).toEqual([
      {
        cloud_type: 'yadisk',
        failed_photos: 0,
        archive_type: 'webs',
        archive_url: archiveUrl,
        gallery_name: 'Yandex Gallery',
        id,
      },
    ]);
  });

  it('counts missing (404) and corrupt files in failed_photos and names them in the status', async () => {
    const entries = photos(stack, [
      'Bad/ok-1.jpg',
      'Bad/gone-1.jpg',
      'Bad/gone-2.jpg',
      'Bad/corrupt.jpg',
      'Bad/ok-2.jpg',
    ]);
    for (const gone of [entries[1]!, entries[2]!]) stack.files.remove(new URL(gone.url).pathname);
    // The platform's checksum for this one does not match the bytes its file host serves.
    entries[3] = { ...entries[3]!, crc: entries[3]!.crc === '00000000' ? '00000001' : '00000000' };
    const before = stack.gallery.doneCalls.length;
    await worker(async () => {
      const { final } = await runArchive(entries, { gallery_name: 'Partly broken', cloud_type: 'yadisk' });
      expect(final.progress).toMatchObject({ files: { total: 5, done: 2, failed: 3 } });
      const report = final.report as { failed_photos: number; failed: Array<{ name: string; reason: string }> };
      expect(report.failed_photos).toBe(3);
      expect(report.failed.map((f) => f.name).sort()).toEqual(['Bad/corrupt.jpg', 'Bad/gone-1.jpg', 'Bad/gone-2.jpg']);
      expect(report.failed.find((f) => f.name === 'Bad/gone-1.jpg')?.reason).toMatch(/SourceNotFound/);
    });
    expect(stack.gallery.doneCalls.slice(before).map((c) => c.body)).toEqual([
      expect.objectContaining({
        cloud_type: 'yadisk',
        failed_photos: 3,
        archive_type: 'webs',
        gallery_name: 'Partly broken',
      }),
    ]);
    expect(stack.disk.node('disk:/Partly broken/Bad/ok-1.jpg')?.type).toBe('file');
    expect(stack.disk.node('disk:/Partly broken/Bad/corrupt.jpg')).toBeUndefined();
  });

  it('keeps calling done while the platform fails, until it accepts: nothing lost', async () => {
    const entries = photos(stack, ['One/a.jpg']);
    const before = stack.gallery.doneCalls.length;
    stack.gallery.failDone(3, 503);
    await worker(async () => {
      const a = archive();
      stack.gallery.setListing(a.path, entries);
      const { id, redirectTo } = await start(stack, body({ archive_url: a.url, gallery_name: 'Retry done' }));
      expect(await callback(await consent(redirectTo))).toMatchObject({ status: 302, location: SUCCESS });
      const notifying = await waitForState(stack, id, ['notifying', 'done'], 60_000);
      expect(notifying.state).toBe('notifying');
      const final = await waitForState(stack, id, ['done'], 60_000);
      expect((final.report as { notified_at: string | null }).notified_at).not.toBeNull();
      expect((await status(stack, id)).state).toBe('done');
    });
    const calls = stack.gallery.doneCalls.slice(before);
    expect(calls.map((c) => c.status)).toEqual([503, 503, 503, 200]);
    // Every retry carries the same body, naming the same request.
    expect(new Set(calls.map((c) => JSON.stringify(c.body))).size).toBe(1);
    expect(calls[3]!.body).toMatchObject({
      cloud_type: 'google_drive',
      failed_photos: 0,
      archive_type: 'webs',
      gallery_name: 'Retry done',
    });
  });

  it('never fetches listed file URLs off GALLERY_FILE_HOSTS, nor follows a listing redirect to another host', async () => {
    const sentinel = { hits: 0 };
    const server = createServer((_req, res) => {
      sentinel.hits += 1;
      res.end('secret');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onCleanup(() => new Promise((r) => server.close(r)));
    const port = (server.address() as AddressInfo).port;
    const [ok] = photos(stack, ['Safe/ok.jpg']);
    const bad = (name: string, url: string, id: number) => ({ ...ok!, name, url, id });
    const before = stack.gallery.doneCalls.length;
    await worker(async () => {
      const { final } = await runArchive(
        [
          ok!,
          bad('Safe/localhost.jpg', `http://localhost:${port}/x.jpg`, 1),
          bad('Safe/v6.jpg', `http://[::1]:${port}/x.jpg`, 2),
          bad('Safe/meta.jpg', 'http://169.254.169.254/latest/meta-data/', 3),
        ],
        { gallery_name: 'SSRF files' },
      );
      expect(final.report).toMatchObject({ failed_photos: 3, copied: 1 });
      const reasons = (final.report as { failed: Array<{ reason: string }> }).failed.map((f) => f.reason);
      expect(reasons.every((r) => /GALLERY_FILE_HOSTS/.test(r))).toBe(true);

      const a = archive();
      stack.gallery.setListingRedirect(a.path, `http://localhost:${port}/steal?json=true`);
      const { id, redirectTo } = await start(stack, body({ archive_url: a.url }));
      expect(await callback(await consent(redirectTo))).toMatchObject({ status: 302, location: SUCCESS });
      const failed = await waitForState(stack, id, ['failed']);
      expect(failed.error).toMatchObject({ type: 'ForbiddenTarget' });
    });
    expect(sentinel.hits).toBe(0);
    expect(stack.gallery.doneCalls.slice(before).map((c) => c.body)).toEqual([
      expect.objectContaining({
        cloud_type: 'google_drive',
        failed_photos: 3,
        archive_type: 'webs',
        gallery_name: 'SSRF files',
      }),
    ]);
  });
});
