// The data behind the VK fake: users, albums and photos shaped like VK API 5.199 objects. The default
// world has one user per case the backup must handle (ties, old zero-size photos, orig_photo, a
// 2,500-photo user, private/deleted users, a denied album).

export interface FakeSize {
  type: string;
  width: number;
  height: number;
}

export interface FakePhoto {
  id: number;
  album_id: number;
  owner_id: number;
  date: number;
  likes: number;
  sizes: FakeSize[];
  /** The original upload (VK 5.199 `orig_photo`, type `base`). */
  orig?: FakeSize;
  /** Served with this extension (VK's CDN serves .jpg; a few tests want another). */
  ext?: string;
}

export interface FakeAlbum {
  id: number;
  title: string;
  /** Error code photos.get answers for this album (e.g. 200 access denied). */
  denied?: number;
}

export interface FakeUser {
  id: number;
  screen_name: string;
  first_name: string;
  last_name: string;
  deactivated?: 'deleted' | 'banned';
  is_closed: boolean;
  albums: FakeAlbum[];
  photos: FakePhoto[];
}

/** VK's system albums: photos.get takes their names, photos.getAlbums(need_system=1) lists their ids. */
export const SYSTEM_ALBUMS: Record<string, { id: number; title: string }> = {
  profile: { id: -6, title: 'Фотографии со страницы' },
  wall: { id: -7, title: 'Фотографии на стене' },
  saved: { id: -15, title: 'Сохранённые фотографии' },
};

const day = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** The sizes VK returns for a modern photo of the given original dimensions. */
export function modernSizes(w: number, h: number): FakeSize[] {
  const scaled = (max: number): [number, number] => {
    const k = Math.min(1, max / Math.max(w, h));
    return [Math.round(w * k), Math.round(h * k)];
  };
  const out: FakeSize[] = [];
  for (const [type, max] of [
    ['s', 75],
    ['m', 130],
    ['x', 604],
    ['y', 807],
    ['z', 1080],
    ['w', 2560],
  ] as const) {
    const [sw, sh] = scaled(max);
    out.push({ type, width: sw, height: sh });
  }
  out.push({ type: 'o', width: 130, height: 87 }, { type: 'p', width: 200, height: 133 });
  return out;
}

/** Pre-2012 photos: every size has width = height = 0. */
export const zeroSizes = (types: string[]): FakeSize[] => types.map((type) => ({ type, width: 0, height: 0 }));

function photo(p: Partial<FakePhoto> & Pick<FakePhoto, 'id' | 'owner_id' | 'date' | 'likes'>): FakePhoto {
  return { album_id: SYSTEM_ALBUMS.profile!.id, sizes: modernSizes(1600, 1200), ...p };
}

/** Ivan: the default-run user. His 5 newest profile photos hold a two-way and a three-way like tie. */
export function ivan(): FakeUser {
  const owner_id = 1001;
  return {
    id: owner_id,
    screen_name: 'ivan.petrov',
    first_name: 'Ivan',
    last_name: 'Petrov',
    is_closed: false,
    albums: [{ id: 501, title: 'Summer' }],
    photos: [
      // Newest five (dates descending): 34 twice (different days), 7 three times (two on one day).
      photo({
        id: 9105,
        owner_id,
        date: day('2024-03-05T09:00:00Z'),
        likes: 7,
        orig: { type: 'base', width: 4000, height: 3000 },
      }),
      photo({ id: 9104, owner_id, date: day('2024-03-01T12:00:00Z'), likes: 7, sizes: modernSizes(1000, 800) }),
      photo({ id: 9103, owner_id, date: day('2024-03-01T10:00:00Z'), likes: 7 }),
      photo({ id: 9102, owner_id, date: day('2024-02-15T08:00:00Z'), likes: 34, ext: 'png' }),
      photo({ id: 9101, owner_id, date: day('2024-01-31T20:00:00Z'), likes: 34 }),
      // Older: unique like counts, a pre-2012 zero-size photo, one with an unknown size letter only.
      photo({ id: 9100, owner_id, date: day('2023-06-01T00:00:00Z'), likes: 12 }),
      photo({
        id: 9099,
        owner_id,
        date: day('2011-05-01T00:00:00Z'),
        likes: 3,
        sizes: zeroSizes(['s', 'm', 'x', 'y', 'o']),
      }),
      photo({ id: 9098, owner_id, date: day('2010-01-01T00:00:00Z'), likes: 1, sizes: zeroSizes(['k', 'q2']) }),
      photo({ id: 9200, owner_id, album_id: 501, date: day('2023-07-01T00:00:00Z'), likes: 99 }),
      photo({ id: 9300, owner_id, album_id: SYSTEM_ALBUMS.wall!.id, date: day('2023-08-01T00:00:00Z'), likes: 5 }),
    ],
  };
}

/** 2,500 photos over profile, wall and one album: forces pagination past 1,000 in one album. */
export function bigUser(): FakeUser {
  const owner_id = 2002;
  const albums = [
    { album: SYSTEM_ALBUMS.profile!.id, n: 300 },
    { album: SYSTEM_ALBUMS.wall!.id, n: 1100 },
    { album: 777, n: 1100 },
  ];
  const photos: FakePhoto[] = [];
  let id = 100_000;
  for (const { album, n } of albums) {
    for (let i = 0; i < n; i += 1) {
      id += 1;
      // Every 5th pair shares a day, and likes cycle: many two- and three-way ties to break.
      const date = day('2020-01-01T00:00:00Z') + Math.floor(id / 2) * 3600;
      photos.push({ id, owner_id, album_id: album, date, likes: id % 97, sizes: modernSizes(800, 600) });
    }
  }
  return {
    id: owner_id,
    screen_name: 'big.user',
    first_name: 'Big',
    last_name: 'User',
    is_closed: false,
    albums: [{ id: 777, title: 'Everything' }],
    photos,
  };
}

export function defaultWorld(): FakeUser[] {
  return [
    ivan(),
    bigUser(),
    {
      id: 3003,
      screen_name: 'private.person',
      first_name: 'Private',
      last_name: 'Person',
      is_closed: true,
      albums: [],
      photos: [],
    },
    {
      id: 4004,
      screen_name: 'gone.user',
      first_name: 'DELETED',
      last_name: '',
      deactivated: 'deleted',
      is_closed: false,
      albums: [],
      photos: [],
    },
    {
      id: 5005,
      screen_name: 'secret.album',
      first_name: 'Secret',
      last_name: 'Album',
      is_closed: false,
      albums: [{ id: 999, title: 'Only friends', denied: 200 }],
      photos: [photo({ id: 50051, owner_id: 5005, album_id: 999, date: day('2024-01-01T00:00:00Z'), likes: 1 })],
    },
  ];
}
