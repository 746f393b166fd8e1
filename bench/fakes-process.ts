// The benchmarks' outside world in a process of its own: the Google and Yandex OAuth fakes, the Drive
// and Yandex Disk fakes (bytes hashed, not kept), the file host and the gallery platform, from
// fakes/. Neither Ferry nor a baseline shares this event loop, so both see the same stand-ins
// at the same cost. Options come as JSON in argv[2]; the parent drives it over IPC (bench/rpc.ts).
import { randomBytes } from 'node:crypto';
import { startGalleryFake } from '../fakes/gallery';
import { startDriveFake } from '../fakes/google-drive';
import { startGoogleOAuthFake } from '../fakes/google-oauth';
import { startSourceServer } from '../fakes/source-server';
import { startYandexDiskFake } from '../fakes/yandex-disk';
import { startYandexOAuthFake } from '../fakes/yandex-oauth';
import { serveRpc } from './rpc-serve';

export interface FakesOptions {
  /** Added to every request of the clouds and the file host (bench:many: 50 ms, like the real APIs). */
  latencyMs?: number;
  /** How long a Yandex upload stays in progress before its operation succeeds. */
  operationDelayMs?: number;
}

/** A file registered on the file host. */
export interface HostedFile {
  path: string;
  url: string;
  size: number;
  md5: string;
  crc32: string;
}

const options = JSON.parse(process.argv[2] ?? '{}') as FakesOptions;
const latencyMs = options.latencyMs || undefined;
const googleOAuth = await startGoogleOAuthFake();
const yandexOAuth = await startYandexOAuthFake();
const drive = await startDriveFake({ oauth: googleOAuth, storeContent: false, latencyMs });
const yandex = await startYandexDiskFake({
  oauth: yandexOAuth,
  storeContent: false,
  latencyMs,
  operationDelayMs: options.operationDelayMs ?? 50,
});
const source = await startSourceServer({ latencyMs });
const gallery = await startGalleryFake();

// Many small files without a buffer each: views at distinct offsets of one random pool, so every file
// has its own content (and checksums) while 50,000 files cost a few MiB.
const POOL = randomBytes(16 * 1024 * 1024);
let nextView = 0;
function viewOf(bytes: number): Buffer {
  if (bytes > POOL.length / 2) return randomBytes(bytes);
  const span = POOL.length - bytes;
  const offset = (nextView++ * 7919) % span;
  return POOL.subarray(offset, offset + bytes);
}

function host(path: string, bytes: number): HostedFile {
  const sums = source.addFile(path, viewOf(bytes), 'image/jpeg');
  return { path, url: source.urlOf(path), ...sums };
}

const methods = {
  googleTokens: () => googleOAuth.issueTokens(),
  yandexToken: () => yandexOAuth.issueTokens().accessToken,
  addRedirectUri(provider: 'google' | 'yandex', uri: string) {
    if (provider === 'google') googleOAuth.addRedirectUri(uri);
    else yandexOAuth.addRedirectUri(uri);
  },
  /** A large file of pseudo-random bytes generated as it is read (no memory per byte). */
  addGenerated(path: string, size: number, seed: number): HostedFile {
    return { path, url: source.urlOf(path), ...source.addGenerated(path, size, seed) };
  },
  /** `count` files of `bytes` each under `prefix` (prefix/0.jpg …). */
  addFiles(prefix: string, count: number, bytes: number): HostedFile[] {
    return Array.from({ length: count }, (_, i) => host(`${prefix}/${i}.jpg`, bytes));
  },
  /**
   * A gallery of `count` photos in `albums` albums, listed at `listingPath` (/g/api/stream/<id>/<hash>)
   * as the platform lists an archive: name "Album N/IMG_i.jpg", filesize, crc, url on the file host.
   */
  addGallery(listingPath: string, count: number, albums: number, bytes: number) {
    let totalBytes = 0;
    const entries = Array.from({ length: count }, (_, i) => {
      const f = host(`/gallery/${i}/IMG_${i}.jpg`, bytes);
      totalBytes += f.size;
      return {
        crc: f.crc32,
        filesize: f.size,
        created_at: '2024-08-17 12:54:32 +0300',
        name: `Album ${(i % albums) + 1}/IMG_${i}.jpg`,
        url: f.url,
        id: 49_000_000 + i,
      };
    });
    gallery.setListing(listingPath, entries);
    return { count, totalBytes };
  },
  /** The fakes' own counters: every cloud API request by kind, the file host's reads, done calls. */
  counts: () => ({
    drive: drive.requestCounts(),
    yandex: yandex.requestCounts(),
    source: (({ requests, bytesServed }) => ({ requests, bytesServed }))(source.stats()),
    galleryRequests: gallery.requests.length,
    galleryDone: gallery.acceptedDone().length,
  }),
};

export type FakesMethods = typeof methods;
export interface FakesReady {
  driveUrl: string;
  yandexUrl: string;
  sourceUrl: string;
  galleryUrl: string;
  googleClientId: string;
  googleClientSecret: string;
  googleAuthUrl: string;
  googleTokenUrl: string;
  googleRevokeUrl: string;
  yandexClientId: string;
  yandexClientSecret: string;
  yandexOAuthUrl: string;
}

serveRpc(methods, {
  driveUrl: drive.url,
  yandexUrl: yandex.url,
  sourceUrl: source.url,
  galleryUrl: gallery.url,
  googleClientId: googleOAuth.clientId,
  googleClientSecret: googleOAuth.clientSecret,
  googleAuthUrl: googleOAuth.authUrl,
  googleTokenUrl: googleOAuth.tokenUrl,
  googleRevokeUrl: googleOAuth.revokeUrl,
  yandexClientId: yandexOAuth.clientId,
  yandexClientSecret: yandexOAuth.clientSecret,
  yandexOAuthUrl: yandexOAuth.url,
} satisfies FakesReady);
