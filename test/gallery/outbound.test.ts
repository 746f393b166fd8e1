// The gallery's completion callback goes to GALLERY_API_URL and nowhere else: a redirect is an answer
// to retry, never a new target for the request and its body.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GalleryClient } from '../../activities/gallery/client';
import { testConfig } from '../helpers/config';

const elsewhere: string[] = [];
const other = createServer((req, res) => {
  elsewhere.push(`${req.method} ${req.url}`);
  res.end('{}');
});
const platform = createServer((req, res) => {
  const { port } = other.address() as AddressInfo;
  res.writeHead(307, { location: `http://localhost:${port}${req.url}` }).end();
});
const listen = (s: typeof other) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r));

beforeAll(async () => {
  await Promise.all([listen(other), listen(platform)]);
});
afterAll(async () => {
  await Promise.all([other, platform].map((s) => new Promise((r) => s.close(r))));
});

describe('cloud_archive/done', () => {
  it('is not re-sent along a redirect: it fails (and is retried) instead', async () => {
    const { port } = platform.address() as AddressInfo;
    const gallery = new GalleryClient(testConfig({ GALLERY_API_URL: `http://127.0.0.1:${port}` }));
    await expect(
      gallery.done({
        cloud_type: 'google_drive',
        failed_photos: 0,
        archive_type: 'webs',
        archive_url: 'https://arch.litegallery.io/g/api/stream/1/abc',
        gallery_name: 'test_16',
        id: 'q3zK1u7bS0y9fJ2m4nLx8w',
      }),
    ).rejects.toMatchObject({ type: 'GalleryUnavailable' });
    expect(elsewhere).toEqual([]);
  });
});
