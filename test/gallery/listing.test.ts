// The listing activity against the gallery fake over real HTTP and the real plan store: malformed
// listings fail clearly (never a crash loop), odd names become a safe plan, 50,000 entries are fine,
// and the worker refuses redirects and file URLs that lead off the allowlists.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGalleryActivities } from '../../activities/gallery';
import type { PreparedPlan } from '../../activities/gallery/types';
import { listingUrlFor } from '../../activities/gallery/listing';
import { PlanStore } from '../../activities/copy/plan-store';
import { createPool, type Pool } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { startGalleryFake, type GalleryFake } from '../../fakes/gallery';
import { testConfig } from '../helpers/config';
import { ARCHIVE_HOST, onCleanup } from './harness';

let gallery: GalleryFake;
let pool: Pool;
let sentinel: { url: string; hits: number };

beforeAll(async () => {
  gallery = await startGalleryFake({ basePath: '/gallery' });
  onCleanup(gallery.close);
  const s = { url: '', hits: 0 };
  const server = createServer((_req, res) => {
    s.hits += 1;
    res.end('[]');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sentinel = s;
  onCleanup(() => new Promise((r) => server.close(r)));
  pool = createPool(testConfig().DATABASE_URL!);
  onCleanup(() => pool.end());
});

function activities(overrides: Record<string, string> = {}) {
  const config = testConfig({
    GALLERY_API_URL: gallery.url,
    GALLERY_ALLOWED_HOSTS: ARCHIVE_HOST,
    GALLERY_FILE_HOSTS: 'files.gallery.test',
    FERRY_ALLOW_PRIVATE_NETWORK: '1',
    ...overrides,
  });
  return createGalleryActivities({ config, pool, logger: createLogger({ level: 'silent' }) });
}

const entry = (name: string, id: number, extra: Record<string, unknown> = {}) => ({
  crc: 'e7b057b2',
  filesize: 1000 + id,
  created_at: '2024-08-17 12:54:32 +0300',
  name,
  url: `https://files.gallery.test/uploads/${id}.jpg`,
  id,
  ...extra,
});

async function prepare(listing: (path: string) => void, overrides: Record<string, string> = {}) {
  const path = `/g/api/stream/${Math.floor(Math.random() * 1e9)}/${randomUUID().replace(/-/g, '')}`;
  listing(path);
  const planId = `test-gallery-${randomUUID()}`;
  const result = (await new MockActivityEnvironment().run(activities(overrides).prepareArchivePlan, {
    planId,
    archiveUrl: `https://${ARCHIVE_HOST}${path}?mod=web`,
    galleryName: 'Wedding / 2024',
  })) as PreparedPlan;
  return { ...result, items: await new PlanStore(pool).page(planId, 0, 100_000) };
}

async function failure(listing: (path: string) => void, overrides: Record<string, string> = {}) {
  const err = await prepare(listing, overrides).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('listing URL', () => {
  it('keeps the platform base (with its path prefix) and only the archive path', () => {
    expect(
      listingUrlFor(
        'https://arch-d.lite.gallery/g/api/stream/858329/f9d24b1dfb81a1bfa215cc008f46f3d3?mod=web',
        'https://app.litegallery.io',
      ),
    ).toBe('https://app.litegallery.io/g/api/stream/858329/f9d24b1dfb81a1bfa215cc008f46f3d3?json=true');
    expect(listingUrlFor('https://u:p@arch.x/g/api/stream/1/a?x=1#f', 'http://127.0.0.1:9000/gallery/')).toBe(
      'http://127.0.0.1:9000/gallery/g/api/stream/1/a?json=true',
    );
  });
});

describe('prepareArchivePlan', () => {
  it('fails clearly (non-retryable) on a listing that is not JSON or not an array', async () => {
    const notJson = await failure((p) => gallery.setRawListing(p, '<html>oops</html>', 'text/html'));
    expect(notJson).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    expect(notJson.message).toMatch(/not valid JSON/);
    const notArray = await failure((p) => gallery.setListing(p, { files: [] }));
    expect(notArray).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    expect(notArray.message).toMatch(/not a JSON array/);
    const gone = await failure((p) => gallery.setListingStatus(p, 404));
    expect(gone).toMatchObject({ type: 'SourceNotFound', nonRetryable: true });
    const down = await failure((p) => gallery.setListingStatus(p, 503));
    expect(down).toMatchObject({ type: 'GalleryUnavailable', nonRetryable: false });
    const big = await failure((p) => gallery.setListing(p, [entry('x'.repeat(2000), 1)]), {
      GALLERY_LISTING_MAX_BYTES: '1024',
    });
    expect(big.message).toMatch(/larger than 1024 bytes/);
  });

  it('sets aside entries with missing or bad fields, naming them, and plans the rest', async () => {
    const r = await prepare((p) =>
      gallery.setListing(p, [
        entry('Album/ok.jpg', 1),
        { name: 'Album/no-url.jpg', id: 2, crc: 'e7b057b2', filesize: 5 },
        entry('Album/bad-crc.jpg', 3, { crc: 'zzzz' }),
        entry('Album/neg.jpg', 4, { filesize: -1 }),
        null,
        'a string',
      ]),
    );
    expect(r.items.map((i) => i.relPath)).toEqual(['Album/ok.jpg']);
    expect(r.rejectedCount).toBe(5);
    expect(r.rejected.find((x) => x.name === 'Album/no-url.jpg')?.reason).toMatch(/url/);
    expect(r.rejected.find((x) => x.name === 'Album/bad-crc.jpg')?.reason).toMatch(/crc/);
    expect(r.rejected.find((x) => x.name === 'Album/neg.jpg')?.reason).toMatch(/filesize/);
    expect(r.rejected.map((x) => x.name)).toEqual(expect.arrayContaining(['#4', '#5']));
  });

  it('sanitises names: no .., no leading /, no control characters, length limits, duplicates kept', async () => {
    const r = await prepare((p) =>
      gallery.setListing(p, [
        entry('../../etc/passwd.jpg', 1),
        entry('/abs/olute.jpg', 2),
        entry('Фото 1/Свадьба 🎉.jpg', 3),
        entry('no-album.jpg', 4),
        entry('Album\u0000\u001b[31m/evil\u202e gpj.exe.jpg', 5),
        entry('Deep/er/and/deeper/x.jpg', 6),
        entry('Dup/a.jpg', 7),
        entry('Dup/A.jpg', 8),
        entry(`Long/${'я'.repeat(300)}.jpg`, 9),
        entry('Empty//./slashes.jpg', 10),
        entry('Trailing/..', 11),
        entry('Same id/one.jpg', 12),
        entry('Same id/two.jpg', 12),
      ]),
    );
    const paths = r.items.map((i) => i.relPath);
    expect(paths.slice(0, 8)).toEqual([
      'etc/passwd.jpg',
      'abs/olute.jpg',
      'Фото 1/Свадьба 🎉.jpg',
      'no-album.jpg',
      'Album[31m/evil gpj.exe.jpg',
      'Deep/er/and/deeper/x.jpg',
      'Dup/a.jpg',
      'Dup/A (2).jpg',
    ]);
    const long = paths[8]!;
    expect(long.startsWith('Long/')).toBe(true);
    expect(long.endsWith('.jpg')).toBe(true);
    expect(Buffer.byteLength(long.slice(5))).toBeLessThanOrEqual(255);
    expect(paths[9]).toBe('Empty/slashes.jpg');
    expect(paths[10]).toBe('Trailing/file-11');
    for (const p of paths) {
      expect(p).not.toMatch(/(^|\/)\.\.?(\/|$)/);
      expect(p.startsWith('/')).toBe(false);
      // eslint-disable-next-line no-control-regex
      expect(p).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
    }
    expect(new Set(r.items.map((i) => i.key)).size).toBe(r.items.length);
    expect(r.rootFolder).toBe('Wedding _ 2024');
    expect(r.items[0]).toMatchObject({ crc32: 'e7b057b2', size: 1001, sourceUrl: entry('', 1).url });
  });

  it('handles an empty listing and 50,000 entries', async () => {
    const empty = await prepare((p) => gallery.setListing(p, []));
    expect(empty.plan).toMatchObject({ total: 0, totalBytes: 0 });
    const many = Array.from({ length: 50_000 }, (_, i) => entry(`Album ${i % 7}/IMG_${i}.jpg`, i + 1));
    const started = Date.now();
    const r = await prepare((p) => gallery.setListing(p, many));
    expect(r.plan.total).toBe(50_000);
    expect(r.plan.totalBytes).toBe(many.reduce((n, e) => n + e.filesize, 0));
    expect(r.items[49_999]?.relPath).toBe('Album 5/IMG_49999.jpg');
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('refuses file URLs off GALLERY_FILE_HOSTS (loopback, link-local, other hosts) before any copy', async () => {
    const port = new URL(sentinel.url).port;
    const r = await prepare((p) =>
      gallery.setListing(p, [
        entry('ok.jpg', 1),
        entry('loop.jpg', 2, { url: `${sentinel.url}/secret.jpg` }),
        entry('localhost.jpg', 3, { url: `http://localhost:${port}/secret.jpg` }),
        entry('v6.jpg', 4, { url: `http://[::1]:${port}/secret.jpg` }),
        entry('meta.jpg', 5, { url: 'http://169.254.169.254/latest/meta-data/' }),
        entry('sub.jpg', 6, { url: 'https://files.gallery.test.evil.example/x.jpg' }),
        entry('ftp.jpg', 7, { url: 'ftp://files.gallery.test/x.jpg' }),
      ]),
    );
    expect(r.items.map((i) => i.relPath)).toEqual(['ok.jpg']);
    expect(r.rejectedCount).toBe(6);
    expect(r.rejected.map((x) => x.reason).join('\n')).toMatch(/not in GALLERY_FILE_HOSTS/);
    expect(r.allowedSourceHosts).toEqual(['files.gallery.test']);
    expect(sentinel.hits).toBe(0);
  });

  it('re-checks redirects: a platform answer pointing at another host is refused unfetched', async () => {
    // The platform reached as "localhost": a redirect to 127.0.0.1 (another host) must not be followed.
    const viaLocalhost = gallery.url.replace('127.0.0.1', 'localhost');
    const err = await failure((p) => gallery.setListingRedirect(p, `${sentinel.url}/steal?json=true`), {
      GALLERY_API_URL: viaLocalhost,
    });
    expect(err).toMatchObject({ type: 'ForbiddenTarget', nonRetryable: true });
    const meta = await failure((p) => gallery.setListingRedirect(p, 'http://169.254.169.254/latest/meta-data/'));
    expect(meta).toMatchObject({ type: 'ForbiddenTarget' });
    expect(sentinel.hits).toBe(0);
  });

  it('refuses a platform on a private address unless FERRY_ALLOW_PRIVATE_NETWORK is set', async () => {
    const err = await failure((p) => gallery.setListing(p, []), { FERRY_ALLOW_PRIVATE_NETWORK: '0' });
    expect(err).toMatchObject({ type: 'ForbiddenTarget', nonRetryable: true });
  });
});
