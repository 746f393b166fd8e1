// VK as a photo source: resolves a user id or screen name, then lists an album (profile, wall, saved, a
// numeric id) or every album, newest first, 1,000 photos per call (the API's maximum) with offset.
import { ApplicationFailure } from '@temporalio/common';
import type { API } from 'vk-io';
import { failure, FailureType } from '../../lib/failures';
import { newestFirst, type SourcePhoto } from '../../lib/photo-naming';
import type { PhotoOwner } from '../photo-backup/types';
import { vkFailure } from './client';

const VK_PAGE = 1000;

interface ListRequest {
  user: string;
  /** profile | wall | saved | all | a numeric album id. */
  album: string;
  /** How many photos, newest first; undefined = all. */
  limit?: number;
  /** Called after every page: the activity heartbeats here. */
  onPage?(listed: number): void;
}

interface VkSize {
  type: string;
  url: string;
  width: number;
  height: number;
}
interface VkPhoto {
  id: number;
  owner_id: number;
  date: number;
  sizes?: VkSize[];
  orig_photo?: VkSize;
  likes?: { count: number };
}

// photos.getAlbums(need_system=1) lists system albums by negative id; photos.get takes their names.
const SYSTEM_ALBUM_NAMES: Record<number, string> = { [-6]: 'profile', [-7]: 'wall', [-15]: 'saved' };

const invalid = (message: string) => failure(FailureType.InvalidInput, message);

/** Accepts `123`, `id123`, `durov`, `@durov`, `https://vk.com/durov`, `-1` / `club1` (a community). */
export function parseVkUser(raw: string): { numericId?: number; screenName?: string } {
  const s = raw
    .trim()
    .replace(/^https?:\/\/(m\.)?vk\.(com|ru)\//i, '')
    .replace(/^@/, '')
    .replace(/\/+$/, '');
  if (/^-?\d+$/.test(s)) return { numericId: Number(s) };
  const prefixed = /^(id|club|public)(\d+)$/i.exec(s);
  if (prefixed) return { numericId: prefixed[1]!.toLowerCase() === 'id' ? Number(prefixed[2]) : -Number(prefixed[2]) };
  if (/^[a-z0-9_.]{2,64}$/i.test(s)) return { screenName: s };
  throw invalid(`"${raw}" is not a VK user id or screen name`);
}

export async function resolveVkOwner(api: API, user: string): Promise<PhotoOwner> {
  const parsed = parseVkUser(user);
  let id = parsed.numericId;
  try {
    if (id === undefined) {
      const found = (await api.call('utils.resolveScreenName', { screen_name: parsed.screenName })) as
        { object_id: number; type: string } | [];
      if (Array.isArray(found) || !found.object_id) throw invalid(`VK has no user or community named "${user}"`);
      if (found.type !== 'user') return { id: String(-found.object_id), name: parsed.screenName! };
      id = found.object_id;
    }
    if (id < 0) return { id: String(id), name: `community ${-id}` };
    const users = (await api.call('users.get', { user_ids: String(id) })) as Array<{
      id: number;
      first_name: string;
      last_name: string;
      deactivated?: string;
    }>;
    const u = users[0];
    if (!u) throw invalid(`VK user ${user} does not exist (invalid user id)`);
    if (u.deactivated) {
      throw failure(FailureType.SourceNotFound, `VK user ${user} was deleted or banned (${u.deactivated})`);
    }
    return { id: String(u.id), name: `${u.first_name} ${u.last_name}`.trim() };
  } catch (err) {
    throw err instanceof ApplicationFailure ? err : vkFailure(err, { user });
  }
}

function toSourcePhoto(p: VkPhoto): SourcePhoto {
  const sizes = [...(p.sizes ?? []), ...(p.orig_photo ? [{ ...p.orig_photo, type: p.orig_photo.type || 'base' }] : [])];
  return {
    key: `vk:${p.owner_id}_${p.id}`,
    id: String(p.id),
    date: p.date,
    likes: p.likes?.count ?? 0,
    sizes: sizes.map((s) => ({ type: String(s.type), url: s.url, width: s.width ?? 0, height: s.height ?? 0 })),
  };
}

async function listAlbum(api: API, ownerId: string, album: string, req: ListRequest, seen: number) {
  const photos: SourcePhoto[] = [];
  for (let offset = 0; ; offset += VK_PAGE) {
    const want = req.limit === undefined ? VK_PAGE : Math.min(VK_PAGE, req.limit - photos.length);
    if (want <= 0) break;
    const page = (await api.call('photos.get', {
      owner_id: ownerId,
      album_id: album,
      rev: 1, // newest first
      extended: 1, // adds likes
      photo_sizes: 1,
      offset,
      count: want,
    })) as { count: number; items: VkPhoto[] };
    photos.push(...page.items.map(toSourcePhoto));
    req.onPage?.(seen + photos.length);
    if (page.items.length === 0 || offset + page.items.length >= page.count) break;
  }
  return photos;
}

/** The owner's photos in the requested album(s), newest first, at most `limit`. */
export async function listVkPhotos(api: API, req: ListRequest): Promise<{ owner: PhotoOwner; photos: SourcePhoto[] }> {
  if (!/^(profile|wall|saved|all|-?\d+)$/.test(req.album)) {
    throw invalid(`album must be profile, wall, saved, all or a numeric album id, not "${req.album}"`);
  }
  const owner = await resolveVkOwner(api, req.user);
  try {
    let albums = [req.album];
    if (req.album === 'all') {
      const res = (await api.call('photos.getAlbums', { owner_id: owner.id, need_system: 1 })) as {
        items: Array<{ id: number; size?: number }>;
      };
      // Other system albums (e.g. "photos with me") are not reachable through photos.get: skipped.
      albums = res.items
        .filter((a) => a.id > 0 || SYSTEM_ALBUM_NAMES[a.id])
        .filter((a) => a.size === undefined || a.size > 0)
        .map((a) => SYSTEM_ALBUM_NAMES[a.id] ?? String(a.id));
    }
    const photos: SourcePhoto[] = [];
    for (const album of albums) {
      // Each album's newest `limit` are enough to find the newest `limit` overall.
      photos.push(...(await listAlbum(api, owner.id, album, req, photos.length)));
    }
    photos.sort(newestFirst);
    return { owner, photos: req.limit === undefined ? photos : photos.slice(0, req.limit) };
  } catch (err) {
    throw err instanceof ApplicationFailure ? err : vkFailure(err, { user: req.user, album: req.album });
  }
}
