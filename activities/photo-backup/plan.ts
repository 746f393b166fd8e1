// From a source's photos to a copy plan: the largest size of each, its extension and byte size (one HEAD
// on the CDN, which is not the rate-limited API), a deterministic name, and the seeds' report line.
import type { CopyPlanItem } from '../../lib/jobs/copy-to-cloud';
import { mapWithConcurrency } from '../../lib/concurrency';
import {
  baseName,
  extensionFromContentType,
  extensionFromUrl,
  nameByLikes,
  pickLargest,
  type ChosenPhoto,
  type SourcePhoto,
} from '../../lib/photo-naming';
import { guardedFollow, responseHeader } from '../copy/guarded-http';
import type { FetchGuardOptions } from '../copy/url-guard';
import type { KeyedReportEntry } from './types';

interface PhotoPlan {
  items: CopyPlanItem[];
  report: KeyedReportEntry[];
  /** Photos without any usable size (no URL): left out of the plan. */
  skipped: number;
}

const MIME: Record<string, string> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
  bmp: 'image/bmp',
  tiff: 'image/tiff',
};
const HEAD_CONCURRENCY = 16;

/**
 * The size and type of a photo from one HEAD on the CDN. Redirects are followed by hand, each hop through
 * the guard (a CDN host may redirect anywhere); a refused hop or any failure only leaves the size unknown.
 */
async function head(url: string, guard: FetchGuardOptions): Promise<{ size?: number; contentType?: string }> {
  try {
    const { res } = await guardedFollow(url, guard, { method: 'HEAD', timeoutMs: 15_000 });
    res.resume();
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) return {};
    const length = Number(responseHeader(res, 'content-length'));
    const contentType = responseHeader(res, 'content-type');
    return {
      ...(Number.isSafeInteger(length) && length > 0 && { size: length }),
      ...(contentType && { contentType }),
    };
  } catch {
    // The size is only for progress and verification: the copy still works without it (and the copy
    // engine's own fetch goes through the same guard, so a refused URL fails there, typed).
    return {};
  }
}

export async function buildPhotoPlan(
  photos: SourcePhoto[],
  options: {
    guard: FetchGuardOptions;
    onProgress?: (done: number) => void;
    /** Names given by a scheduled backup's earlier runs (key -> file name): kept, and taken by no other photo. */
    pinned?: ReadonlyMap<string, string>;
  },
): Promise<PhotoPlan> {
  // Keys are the plan's identity (results and destination tags are keyed by them): a photo listed twice
  // (VK's offsets shift when a photo is added while we page) is one file, planned once.
  const seen = new Set<string>();
  const distinct = photos.filter((p) => !seen.has(p.key) && Boolean(seen.add(p.key)));
  const withSize = distinct.flatMap((p) => {
    const size = pickLargest(p.sizes);
    return size ? [{ photo: p, size }] : [];
  });
  let done = 0;
  const probed = await mapWithConcurrency(withSize, HEAD_CONCURRENCY, async ({ photo, size }) => {
    const info = await head(size.url, options.guard);
    if (++done % 100 === 0) options.onProgress?.(done);
    const ext = extensionFromUrl(size.url) ?? extensionFromContentType(info.contentType) ?? 'jpg';
    return { chosen: { ...photo, size, ext } satisfies ChosenPhoto, bytes: info.size };
  });
  const bytesByKey = new Map(probed.map((p) => [p.chosen.key, p.bytes]));
  const pinned = options.pinned ?? new Map<string, string>();
  const taken = new Set([...pinned.values()].map(baseName));
  const fresh = nameByLikes(
    probed.map((p) => p.chosen).filter((p) => !pinned.has(p.key)),
    taken,
  );
  const freshByKey = new Map(fresh.map((p) => [p.key, p]));
  const named = probed.map(
    ({ chosen }) => freshByKey.get(chosen.key) ?? { ...chosen, fileName: pinned.get(chosen.key)! },
  );
  return {
    items: named.map((p) => {
      const bytes = bytesByKey.get(p.key);
      return {
        key: p.key,
        relPath: p.fileName,
        sourceUrl: p.size.url,
        ...(bytes !== undefined && { size: bytes }),
        mimeType: MIME[p.ext] ?? 'application/octet-stream',
        // VK's (and OK's) CDN URLs are public: Yandex can fetch them itself.
        publiclyFetchable: true,
      };
    }),
    report: named.map((p) => ({ key: p.key, file_name: p.fileName, size: p.size.type, date: p.date, photoId: p.id })),
    skipped: distinct.length - withSize.length,
  };
}
