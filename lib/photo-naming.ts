// What a photo backup keeps of each photo, and under which name: shared by every photo source (VK, OK).
// Pure functions: the same photos give the same names on every run, so a re-run finds its files.

export interface PhotoSize {
  /** The provider's size type: VK letters s..w, `base`/`orig` for the original; OK's field (`pic_max`). */
  type: string;
  url: string;
  width: number;
  height: number;
}

export interface SourcePhoto {
  /** Stable identity across runs, e.g. `vk:1001_9105`, `ok:571000000001_880001`. */
  key: string;
  /** The provider's photo id (for the last tie-break). */
  id: string;
  /** Upload time, unix seconds. */
  date: number;
  likes: number;
  sizes: PhotoSize[];
}

export interface ChosenPhoto extends SourcePhoto {
  size: PhotoSize;
  /** File extension without the dot (`jpg`, `png`). */
  ext: string;
}

interface NamedPhoto extends ChosenPhoto {
  fileName: string;
}

export interface ReportEntry {
  file_name: string;
  size: string;
}

// VK's documented order for photos whose dimensions are unknown (pre-2012: width = height = 0), largest
// first; the original upload outranks every derived size.
const LETTER_ORDER = ['orig', 'base', 'w', 'z', 'y', 'x', 'r', 'q', 'p', 'o', 'm', 's'];
const rank = (type: string) => {
  const i = LETTER_ORDER.indexOf(type);
  return i === -1 ? LETTER_ORDER.length : i; // unknown letters rank below every known one
};

/** The largest size by width × height; by letter order when no size has dimensions. Undefined when none has a URL. */
export function pickLargest(sizes: PhotoSize[]): PhotoSize | undefined {
  const usable = sizes.filter((s) => typeof s.url === 'string' && s.url.length > 0);
  const area = (s: PhotoSize) => (Number(s.width) || 0) * (Number(s.height) || 0);
  let best: PhotoSize | undefined;
  for (const s of usable) {
    if (!best) best = s;
    else if (area(s) > area(best) || (area(s) === area(best) && rank(s.type) < rank(best.type))) best = s;
  }
  return best;
}

const KNOWN_EXT: Record<string, string> = {
  jpg: 'jpg',
  jpeg: 'jpg',
  png: 'png',
  gif: 'gif',
  webp: 'webp',
  heic: 'heic',
  heif: 'heif',
  bmp: 'bmp',
  tif: 'tiff',
  tiff: 'tiff',
};

/** The extension the URL's path ends with, when it is an image type we know. */
export function extensionFromUrl(url: string): string | undefined {
  try {
    const m = /\.([a-z0-9]+)$/i.exec(new URL(url).pathname);
    return m ? KNOWN_EXT[m[1]!.toLowerCase()] : undefined;
  } catch {
    return undefined;
  }
}

/** The extension for a Content-Type (`image/png` → `png`). */
export function extensionFromContentType(contentType: string | null | undefined): string | undefined {
  const m = /^image\/([a-z0-9.+-]+)/i.exec(contentType ?? '');
  return m ? KNOWN_EXT[m[1]!.toLowerCase()] : undefined;
}

const utcDay = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString().slice(0, 10);

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    // Appending in place: copying the group on every photo made 10,000 photos of one like count quadratic.
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * Names by like count (`34.jpg`); a tie adds the upload day in UTC (`34_2024-01-31.jpg`); a tie on
 * that too adds the photo id (`34_2024-01-31_9101.jpg`). Ties are decided on the base name, so two
 * files never differ only by extension. Keeps the input order.
 *
 * `taken`: base names other photos already hold (a scheduled backup's earlier runs). They tie like
 * the photos given: a new photo with the likes of `34_2024-02-15` is named by its day too, one with
 * the likes and day of `34_2024-01-31` by its id, so the folder reads as if named in one run.
 */
export function nameByLikes(photos: ChosenPhoto[], taken: ReadonlySet<string> = new Set()): NamedPhoto[] {
  // `34_2024-01-31_9101` ties with a new `34` and a new `34_2024-01-31`: every `_` prefix is held.
  const held = new Set<string>();
  for (const name of taken) {
    const parts = name.split('_');
    for (let i = 1; i <= parts.length; i += 1) held.add(parts.slice(0, i).join('_'));
  }
  const names = new Map<ChosenPhoto, string>();
  for (const [likes, sameLikes] of groupBy(photos, (p) => String(p.likes))) {
    if (sameLikes.length === 1 && !held.has(likes)) {
      names.set(sameLikes[0]!, likes);
      continue;
    }
    for (const [dayName, sameDay] of groupBy(sameLikes, (p) => `${likes}_${utcDay(p.date)}`)) {
      const unique = sameDay.length === 1 && !held.has(dayName);
      for (const p of sameDay) names.set(p, unique ? dayName : `${dayName}_${p.id}`);
    }
  }
  return photos.map((p) => ({ ...p, fileName: `${names.get(p)}.${p.ext}` }));
}

/** `34_2024-01-31.jpg` -> `34_2024-01-31`: the part the tie rules compare. */
export const baseName = (fileName: string) => fileName.replace(/\.[^.]*$/, '');

/** The seeds' report: `[{"file_name": "34.jpg", "size": "z"}]`, spaced exactly like Python's json.dumps. */
export function formatReport(entries: ReportEntry[]): string {
  const item = (e: ReportEntry) => `{"file_name": ${JSON.stringify(e.file_name)}, "size": ${JSON.stringify(e.size)}}`;
  return `[${entries.map(item).join(', ')}]`;
}

/** Newest first, then by id: the order of the report and of the plan. */
export const newestFirst = (a: SourcePhoto, b: SourcePhoto) =>
  b.date - a.date || b.id.length - a.id.length || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0);
