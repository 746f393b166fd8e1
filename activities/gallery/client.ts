// A typed client of the gallery platform: the file listing of an archive and the completion callback.
import type { Config } from '../../lib/config';
import type { ArchiveType } from '../../lib/jobs/cloud-archive';
import type { CloudKind } from '../../lib/jobs/copy-to-cloud';
import { failure, FailureType } from '../../lib/failures';
import { guardedGet, listingStatusFailure, listingUrlFor, parseListingArray, readCapped } from './listing';

/**
 * The completion callback's body: the seed's three fields, exactly as before, then which gallery it is
 * about (a receiver that knows only the three ignores the rest).
 */
export interface DoneBody {
  cloud_type: CloudKind;
  failed_photos: number;
  archive_type: ArchiveType;
  /** The request's archive_url, exactly as the front end sent it. */
  archive_url: string;
  gallery_name: string;
  /** Ferry's request id (POST /cloud_archive's `id`, GET /cloud_archive/{id}). */
  id: string;
}

export class GalleryClient {
  constructor(private readonly config: Config) {}

  /** Fetches the listing of `archiveUrl` from the platform host; returns the raw entries (not yet validated). */
  async listing(archiveUrl: string, signal?: AbortSignal): Promise<unknown[]> {
    const url = listingUrlFor(archiveUrl, this.config.GALLERY_API_URL);
    const res = await guardedGet(
      url,
      {
        // The platform host, plus the gallery's own hosts should it redirect there; never anything else.
        allowedHosts: [new URL(this.config.GALLERY_API_URL).hostname, ...this.config.GALLERY_ALLOWED_HOSTS],
        allowPrivateNetwork: this.config.FERRY_ALLOW_PRIVATE_NETWORK,
      },
      signal,
    );
    const failure = listingStatusFailure(res.statusCode ?? 0);
    if (failure) {
      res.resume();
      throw failure;
    }
    return parseListingArray(await readCapped(res, this.config.GALLERY_LISTING_MAX_BYTES));
  }

  /** POST {GALLERY_API_URL}/cloud_archive/done. Any non-2xx is an error the caller retries. */
  async done(body: DoneBody, signal?: AbortSignal): Promise<void> {
    const url = `${this.config.GALLERY_API_URL.replace(/\/+$/, '')}/cloud_archive/done`;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: signal ?? AbortSignal.timeout(30_000),
      // Never re-sent elsewhere: a redirect of the callback is a failure to retry, not a new target.
      redirect: 'manual',
    });
    await res.body?.cancel();
    if (!res.ok) {
      throw failure(FailureType.GalleryUnavailable, `the gallery answered HTTP ${res.status} to cloud_archive/done`);
    }
  }
}
