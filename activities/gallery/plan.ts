// From a validated gallery listing to copy-plan items: the album part of each `name` becomes
// sub-folders (any depth), every path segment is sanitised, and files the worker must not fetch are
// set aside with a reason instead of reaching the copy engine.
import type { CopyPlanItem } from '../../lib/jobs/copy-to-cloud';
import type { FileProblem } from '../../lib/jobs/cloud-archive';
import { briefProblem } from '../../lib/text-limits';
import type { ListingEntry } from './listing';

/** Drive allows 32,767 bytes, Yandex and most file systems 255: the smaller wins. */
const MAX_SEGMENT_BYTES = 255;
const MAX_DEPTH = 32;
const MAX_PATH_CHARS = 1024;

// C0/C1 control characters, DEL, and the Unicode line/paragraph separators and bidi overrides that
// make a name display as something else.
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function truncateUtf8(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s) <= maxBytes) return s;
  let out = '';
  for (const ch of s) {
    if (Buffer.byteLength(out + ch) > maxBytes) break;
    out += ch;
  }
  return out;
}

/** One path segment: no separators, no control characters, no `.`/`..`, at most 255 bytes (keeping the extension). */
function sanitizeSegment(raw: string): string {
  let s = raw.normalize('NFC').replace(UNSAFE_CHARS, '').replace(/[\\/]/g, '_').trim();
  // Trailing dots and spaces vanish on Windows when the archive is synced down: drop them now.
  s = s.replace(/[. ]+$/, '');
  if (s === '' || s === '.' || s === '..') return '';
  if (Buffer.byteLength(s) > MAX_SEGMENT_BYTES) {
    const dot = s.lastIndexOf('.');
    const ext = dot > 0 && s.length - dot <= 16 ? s.slice(dot) : '';
    s = truncateUtf8(s.slice(0, s.length - ext.length), MAX_SEGMENT_BYTES - Buffer.byteLength(ext)) + ext;
  }
  return s;
}

/** The root folder for a gallery: one segment, never empty. */
export function rootFolderFor(galleryName: string): string {
  return sanitizeSegment(galleryName) || 'Gallery';
}

/**
 * `Photos 1/Sub/Test.jpg` -> `Photos 1/Sub/Test.jpg`; `../../etc/x.jpg` -> `etc/x.jpg`; `/a//b.jpg` ->
 * `a/b.jpg`. Empty segments and `.`/`..` are dropped (never climbed), so nothing leaves the gallery folder.
 */
function relPathFor(name: string, fallbackName: string): string {
  const raw = name.split(/[\\/]/);
  const file = sanitizeSegment(raw.pop() ?? '') || sanitizeSegment(fallbackName);
  const dirs = raw
    .map(sanitizeSegment)
    .filter((p) => p !== '')
    .slice(0, MAX_DEPTH - 1);
  const rel = [...dirs, file].join('/');
  return rel.length > MAX_PATH_CHARS ? file : rel;
}

/** `a/b.jpg` -> `a/b (2).jpg`: the second file that maps to a taken path keeps both. */
function withSuffix(relPath: string, n: number): string {
  const slash = relPath.lastIndexOf('/');
  const dir = relPath.slice(0, slash + 1);
  const file = relPath.slice(slash + 1);
  const dot = file.lastIndexOf('.');
  return dot > 0 ? `${dir}${file.slice(0, dot)} (${n})${file.slice(dot)}` : `${dir}${file} (${n})`;
}

interface PlanBuilder {
  add(entry: ListingEntry): CopyPlanItem | undefined;
  rejected: FileProblem[];
  rejectedCount: number;
  rejectedBytes: number;
}

/**
 * Plan keys, unique by construction: the listing's id with `%` and `#` escaped, and `#<n>` for its n-th
 * repeat — so a repeated id 5 (`5#2`) can never meet a literal id "5#2" (`5%232`). Numeric ids, the
 * platform's usual ones, stay as they are.
 */
export function planKey(id: string, occurrence: number): string {
  const escaped = id.replace(/%/g, '%25').replace(/#/g, '%23');
  return occurrence > 1 ? `${escaped}#${occurrence}` : escaped;
}

/**
 * Turns entries into plan items one at a time (the listing may hold 50,000). Paths are compared
 * case-insensitively because Drive's name lookup is; keys stay unique even if the listing repeats an id.
 */
export function planBuilder(isAllowedFileUrl: (url: string) => string | undefined): PlanBuilder {
  const paths = new Set<string>();
  // The next suffix to try per wanted path: 50,000 files of one name cost 50,000 steps, not 50,000²/2.
  const nextSuffix = new Map<string, number>();
  const keys = new Map<string, number>();
  const freePath = (base: string) => {
    const wanted = base.toLowerCase();
    if (!paths.has(wanted)) return base;
    let n = nextSuffix.get(wanted) ?? 2;
    let candidate = withSuffix(base, n);
    // Only a literal name that looks like a suffixed one ("a (3).jpg") makes this loop more than once.
    while (paths.has(candidate.toLowerCase())) candidate = withSuffix(base, ++n);
    nextSuffix.set(wanted, n + 1);
    return candidate;
  };
  const builder: PlanBuilder = {
    rejected: [],
    rejectedCount: 0,
    rejectedBytes: 0,
    add(entry) {
      const problem = isAllowedFileUrl(entry.url);
      if (problem) {
        builder.rejectedCount += 1;
        builder.rejectedBytes += entry.filesize;
        if (builder.rejected.length < 1000) builder.rejected.push(briefProblem(entry.name, problem));
        return undefined;
      }
      const id = String(entry.id);
      const occurrence = (keys.get(id) ?? 0) + 1;
      keys.set(id, occurrence);
      const relPath = freePath(relPathFor(entry.name, `file-${id}`));
      paths.add(relPath.toLowerCase());
      return {
        key: planKey(id, occurrence),
        relPath,
        sourceUrl: entry.url,
        size: entry.filesize,
        crc32: entry.crc,
      };
    },
  };
  return builder;
}
