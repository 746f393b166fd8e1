// OK as a photo source: the personal album (photos.getPhotos without aid), one album, or all of them
// (personal + every album of photos.getAlbums), each photo at the largest size it carries.
//
// Paging uses two dialects (docs/ok-backup.md): photos.getPhotos takes and returns `anchor`;
// photos.getAlbums takes and returns `pagingAnchor`. Both stop on hasMore = false. OK documents no order
// for photos, so every page of the album is read and sorted here (newest first by created_ms).
import { failure, FailureType } from '../../lib/failures';
import { newestFirst, type SourcePhoto } from '../../lib/photo-naming';
import { okFailure, type OkClient } from './client';
import type { PhotoOwner } from '../photo-backup/types';

/** Photos or albums per call: 100 is what works in practice (more is an error for photos.getAlbums). */
const OK_PAGE = 100;
/** A guard against an API that keeps answering hasMore: 2,000 pages of 100 photos per album. */
const MAX_PAGES = 2000;

interface OkListRequest {
  user: string;
  /** personal | all | an album id. */
  album: string;
  /** How many photos, newest first; undefined = all. */
  limit?: number;
  /** The photo URL fields to ask for, largest first (OK_PHOTO_SIZES). */
  photoSizes: string[];
  onPage?(listed: number): void;
}

interface OkPhoto {
  id?: string | number;
  album_id?: string;
  created_ms?: number;
  like_count?: number;
  like_summary?: { count?: number };
  standard_width?: number;
  standard_height?: number;
  [field: string]: unknown;
}
interface PhotosPage {
  photos?: OkPhoto[];
  hasMore?: boolean;
  anchor?: string;
}
interface AlbumsPage {
  albums?: Array<{ aid?: string | number; photos_count?: number }>;
  hasMore?: boolean;
  pagingAnchor?: string;
}

const invalid = (message: string) => failure(FailureType.InvalidInput, message);

/**
 * The URL fields asked for, largest first (OK_PHOTO_SIZES overrides): pic_max, which callers of the API
 * use for the largest size (OK documents no such field), then the documented boxes, largest first.
 */
export const OK_DEFAULT_PHOTO_SIZES = [
  'pic_max',
  'pic1024max',
  'pic1024x768',
  'pic640x480',
  'pic320min',
  'pic240min',
  'pic190x190',
  'pic180min',
  'pic128max',
  'pic128x128',
  'pic50x50',
];

const OK_ALBUM_PATTERN = /^(personal|all|[\w-]{1,64})$/;

/** Accepts `574123456789`, `https://ok.ru/profile/574123456789` (the id is all OK's photo methods take). */
export function parseOkUser(raw: string): string {
  const s = raw
    .trim()
    .replace(/^https?:\/\/(m\.)?(ok|odnoklassniki)\.ru\/(profile\/)?/i, '')
    .replace(/\/+$/, '');
  if (/^[\w.-]{1,64}$/.test(s)) return s;
  throw invalid(`"${raw}" is not an OK user id (the digits of https://ok.ru/profile/<id>)`);
}

/** `photo.id,photo.created_ms,…,photo.pic_max,…`: OK returns only the fields asked for. */
const photoFields = (sizes: string[]) =>
  ['id', 'album_id', 'created_ms', 'like_count', 'standard_width', 'standard_height', ...sizes]
    .map((f) => `photo.${f}`)
    .join(',');

/** Dates JavaScript can represent (±8.64e15 ms); anything else would break the names. */
const MAX_MS = 8.64e15;

/**
 * One OK photo object, whatever it holds: an odd field is read as absent, never fatal. The id names the
 * file on a tie, so only letters, digits, `_` and `-` reach the name (a `/` would be a folder).
 */
function toSourcePhoto(owner: string, p: OkPhoto, sizes: string[]): SourcePhoto {
  // The first size field (largest first) that carries a URL; none -> the plan skips and counts the photo.
  const field = sizes.find((f) => typeof p[f] === 'string' && (p[f] as string).length > 0);
  const raw = typeof p.id === 'string' || typeof p.id === 'number' ? String(p.id) : '';
  const usable = raw.length > 0 && raw.length <= 64;
  const ms = Number(p.created_ms);
  return {
    key: `ok:${owner}_${raw}`,
    id: raw.replace(/[^\w-]/g, '_'),
    date: Number.isFinite(ms) && Math.abs(ms) <= MAX_MS ? Math.floor(ms / 1000) : 0,
    likes: Math.trunc(Number(p.like_count ?? p.like_summary?.count)) || 0,
    sizes:
      field && usable
        ? [
            {
              type: field,
              url: p[field] as string,
              width: Number(p.standard_width) || 0,
              height: Number(p.standard_height) || 0,
            },
          ]
        : [],
  };
}

/** Follows one paging dialect to the end; refuses to loop on an API that repeats itself. */
async function* pages<P extends { hasMore?: boolean }>(
  what: string,
  fetchPage: (anchor: string | undefined) => Promise<P>,
  anchorOf: (page: P) => string | undefined,
): AsyncGenerator<P> {
  let anchor: string | undefined;
  for (let n = 0; n < MAX_PAGES; n += 1) {
    const page = await fetchPage(anchor);
    yield page;
    if (!page.hasMore) return;
    const next = anchorOf(page);
    if (!next || next === anchor) {
      throw failure(
        FailureType.OkProtocolError,
        `OK answered hasMore for ${what} without a new anchor: stopping rather than missing photos`,
        { nonRetryable: true },
      );
    }
    anchor = next;
  }
  throw failure(FailureType.OkProtocolError, `${what}: more than ${MAX_PAGES} pages`);
}

async function listAlbum(
  client: OkClient,
  fid: string,
  aid: string | undefined,
  req: OkListRequest,
  seen: Set<string>,
) {
  const photos: SourcePhoto[] = [];
  const fields = photoFields(req.photoSizes);
  const fetchPage = (anchor: string | undefined) =>
    client.call<PhotosPage>('photos.getPhotos', { fid, aid, count: OK_PAGE, fields, anchor });
  for await (const page of pages(`album ${aid ?? 'personal'}`, fetchPage, (p) => p.anchor)) {
    for (const raw of page.photos ?? []) {
      const photo = toSourcePhoto(fid, raw, req.photoSizes);
      if (photo.id && seen.has(photo.key)) continue;
      seen.add(photo.key);
      photos.push(photo);
    }
    req.onPage?.(seen.size);
  }
  return photos;
}

/** The ids of every album of the user (the personal album is never among them: it has none). */
async function listAlbumIds(client: OkClient, fid: string): Promise<string[]> {
  const ids: string[] = [];
  const fetchPage = (pagingAnchor: string | undefined) =>
    client.call<AlbumsPage>('photos.getAlbums', { fid, count: OK_PAGE, pagingAnchor });
  for await (const page of pages('the album list', fetchPage, (p) => p.pagingAnchor)) {
    for (const a of page.albums ?? []) {
      if (a.aid !== undefined && a.aid !== '' && a.photos_count !== 0) ids.push(String(a.aid));
    }
  }
  return [...new Set(ids)];
}

/** The owner's photos in the requested album(s), newest first, at most `limit`. */
export async function listOkPhotos(
  client: OkClient,
  req: OkListRequest,
): Promise<{ owner: PhotoOwner; photos: SourcePhoto[] }> {
  if (!OK_ALBUM_PATTERN.test(req.album))
    throw invalid(`album must be personal, all or an album id, not "${req.album}"`);
  const fid = parseOkUser(req.user);
  try {
    const albums: Array<string | undefined> =
      req.album === 'all'
        ? [undefined, ...(await listAlbumIds(client, fid))]
        : [req.album === 'personal' ? undefined : req.album];
    const seen = new Set<string>();
    const photos: SourcePhoto[] = [];
    for (const aid of albums) photos.push(...(await listAlbum(client, fid, aid, req, seen)));
    photos.sort(newestFirst);
    // OK's photo methods do not name the user; the id is what the user typed and what OK knows them by.
    return {
      owner: { id: fid, name: `OK user ${fid}` },
      photos: req.limit === undefined ? photos : photos.slice(0, req.limit),
    };
  } catch (err) {
    throw okFailure(err, { user: req.user, album: req.album });
  }
}
