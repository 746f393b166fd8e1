// The data behind the OK fake: users, albums and photos shaped like OK REST objects
// (/work/shared/ok-api-notes.md §3). String ids, created_ms in ms, like_count, standard_width/height,
// and URL fields (pic50x50 … pic1024x768, pic_max) only for the sizes a photo has.

/** Every URL field the fake knows, largest first, with the `photoType` its CDN URL carries. */
export const OK_SIZE_FIELDS: Record<string, number> = {
  pic_max: 16,
  pic1024max: 3,
  pic1024x768: 33,
  pic640x480: 0,
  pic320min: 15,
  pic240min: 14,
  pic190x190: 24,
  pic180min: 13,
  pic128max: 2,
  pic128x128: 23,
  pic50x50: 4,
};
const ALL_SIZES = Object.keys(OK_SIZE_FIELDS);
/** Photos uploaded before OK kept a `pic_max`: the 1024×768 box is their largest. */
export const OLD_SIZES = ALL_SIZES.filter((s) => s !== 'pic_max' && s !== 'pic1024max');

export interface OkFakePhoto {
  id: string;
  /** Absent for photos of the personal album (OK sends no album_id for them). */
  album_id?: string;
  created_ms: number;
  like_count: number;
  standard_width: number;
  standard_height: number;
  /** The URL fields this photo has (a subset of OK_SIZE_FIELDS). */
  sizes: string[];
  contentType?: string;
  /** Sent as is over the photo's fields: a hostile or broken record. */
  raw?: Record<string, unknown>;
}

export interface OkFakeAlbum {
  aid: string;
  title: string;
  /** Error code photos.getPhotos answers for this album (e.g. 10 PERMISSION_DENIED). */
  denied?: number;
}

export interface OkFakeUser {
  uid: string;
  name: string;
  /** Photos visible to friends only: photos.getPhotos answers 455 FRIEND_RESTRICTION to anyone else. */
  private?: boolean;
  albums: OkFakeAlbum[];
  photos: OkFakePhoto[];
}

const ms = (iso: string) => Date.parse(iso);

function photo(p: Partial<OkFakePhoto> & Pick<OkFakePhoto, 'id' | 'created_ms' | 'like_count'>): OkFakePhoto {
  return { standard_width: 1280, standard_height: 960, sizes: ALL_SIZES, ...p };
}

export const ANNA_UID = '571000000001';
export const BORIS_UID = '571000000002';
export const SECRET_UID = '571000000003';
export const ODD_UID = '571000000004';

/** Anna: the default-run user. Her 5 newest personal photos hold a two-way and a three-way like tie. */
export function anna(): OkFakeUser {
  return {
    uid: ANNA_UID,
    name: 'Anna Smirnova',
    albums: [{ aid: '5100001', title: 'Лето' }],
    photos: [
      photo({ id: '880005', created_ms: ms('2024-03-05T09:00:00Z'), like_count: 7 }),
      photo({ id: '880004', created_ms: ms('2024-03-01T12:00:00Z'), like_count: 7, sizes: OLD_SIZES }),
      photo({ id: '880003', created_ms: ms('2024-03-01T10:00:00Z'), like_count: 7 }),
      photo({ id: '880002', created_ms: ms('2024-02-15T08:00:00Z'), like_count: 34, contentType: 'image/png' }),
      photo({ id: '880001', created_ms: ms('2024-01-31T20:00:00Z'), like_count: 34 }),
      // Older: a unique like count, and a photo with no URL at all (left out, counted as skipped).
      photo({ id: '880000', created_ms: ms('2023-06-01T00:00:00Z'), like_count: 12 }),
      photo({ id: '879999', created_ms: ms('2010-01-01T00:00:00Z'), like_count: 1, sizes: [] }),
      photo({ id: '881000', album_id: '5100001', created_ms: ms('2023-07-01T00:00:00Z'), like_count: 99 }),
    ],
  };
}

/** 295 photos over the personal album and three albums: every listing takes several pages. */
export function boris(): OkFakeUser {
  const albums = [
    { aid: undefined, n: 130 },
    { aid: '5200001', n: 120 },
    { aid: '5200002', n: 45 },
    { aid: '5200003', n: 0 },
  ];
  const photos: OkFakePhoto[] = [];
  let id = 990_000;
  for (const { aid, n } of albums) {
    for (let i = 0; i < n; i += 1) {
      id += 1;
      // Two photos an hour and likes cycling: many two- and three-way ties to break.
      photos.push(
        photo({
          id: String(id),
          ...(aid && { album_id: aid }),
          created_ms: ms('2021-01-01T00:00:00Z') + Math.floor(id / 2) * 3_600_000,
          like_count: id % 41,
        }),
      );
    }
  }
  return {
    uid: BORIS_UID,
    name: 'Boris Ivanov',
    albums: albums.flatMap((a, i) => (a.aid ? [{ aid: a.aid, title: `Альбом ${i}` }] : [])),
    photos,
  };
}

export function defaultOkWorld(): OkFakeUser[] {
  return [
    anna(),
    boris(),
    { uid: SECRET_UID, name: 'Secret Person', private: true, albums: [], photos: [] },
    oddRecords(),
  ];
}

/** Records no real OK answer should hold, each next to a normal photo: a backup must survive them. */
export function oddRecords(): OkFakeUser {
  const base = ms('2022-05-05T05:00:00Z');
  const odd = (id: string, raw: Record<string, unknown>) => photo({ id, created_ms: base, like_count: 1, raw });
  return {
    uid: ODD_UID,
    name: 'Odd Records',
    albums: [],
    photos: [
      photo({ id: '770001', created_ms: base + 1000, like_count: 5 }),
      odd('770002', { id: '../../escape' }),
      odd('770003', { created_ms: 1e20, like_count: 'many' }),
      odd('770004', { pic_max: 42, pic1024max: null }),
      odd('770005', { id: null }),
      odd('770006', { id: 'x'.repeat(300) }),
    ],
  };
}
