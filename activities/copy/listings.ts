// Folder listings shared by a page's activities on one worker: findPresent lists each folder of the page
// once, and the page's copyBatch activities answer their probes from the same listing instead of a
// probe per file (rclone's way: list a folder once). Against a real cloud the request quota is the
// throughput, so this is what brings a small file down to its upload's own requests.
//
// A listing is a snapshot, kept no longer than its page runs (its scope is the plan and page): no staler
// than findPresent's own answer, which the page acts on anyway. It is safe because
//   - a name an item picks is claimed in it, so the page's other items never pick the same free name;
//   - an item an earlier attempt touched (a name in its heartbeat, a stored checkpoint, or a claim in
//     this listing by the same key) is probed afresh, so an upload made after the snapshot is adopted,
//     never made twice;
//   - a name held by another file, seen or not, is never overwritten: Yandex refuses an occupied path
//     (overwrite=false) and Drive keeps same-name files side by side.
import type { CopyPlanItem } from '../../lib/jobs/copy-to-cloud';
import { BoundedCache } from '../../lib/bounded-cache';
import type { Destination, FolderIndex, FolderRef, ProbeResult } from '../clouds/destination';

/**
 * What a worker's listings may hold in all, in files listed (~200 bytes each: ~20 MB). A page keeps the
 * listing of every folder it touches (500 items may span 500 folders: a plan that lists its albums
 * interleaved), or its later batches would list again and every photo cost a probe of its own; the
 * listings of earlier pages (other copies on this worker, or pages that have finished) go first, oldest
 * first, once the total is over. A bound in listings instead of files grew with the folders: a 50,000-photo
 * gallery's albums fill as it copies, and so did the worker.
 */
export const MAX_LISTED_FILES = 100_000;
const MAX_FOLDERS_PER_PAGE = 500;

export interface SharedListing {
  /** Files the listing holds. */
  readonly files: number;
  probe(name: string, item: CopyPlanItem): Promise<ProbeResult>;
  /** `name` is about to be uploaded to for `key`. */
  claim(name: string, key: string): void;
  /** Whether an item of this key already claimed a name here (an earlier attempt on this worker). */
  touched(key: string): boolean;
}

function shared(index: FolderIndex): SharedListing {
  const keys = new Set<string>();
  return {
    files: index.files,
    probe: (name, item) => index.probe(name, item),
    claim(name, key) {
      keys.add(key);
      index.claim(name);
    },
    touched: (key) => keys.has(key),
  };
}

interface PageListings {
  scope: string;
  folders: BoundedCache<Promise<SharedListing>>;
  files: number;
}

/** The worker's listings, by scope (plan and page), account and folder; earlier pages' go first. */
export function createListings(maxFiles = MAX_LISTED_FILES) {
  // Insertion order is age.
  const pages = new Map<string, PageListings>();
  let total = 0;
  const count = (page: PageListings, files: number) => {
    if (pages.get(page.scope) !== page) return;
    page.files += files;
    total += files;
    for (const [scope, older] of pages) {
      if (total <= maxFiles || older === page) break;
      pages.delete(scope);
      total -= older.files;
    }
  };
  return {
    /** Undefined when the destination cannot list a folder. A failed listing is not kept: the next caller lists again. */
    of(dest: Destination, account: string, scope: string, relDir: string, folder: FolderRef) {
      if (!dest.listFolder) return undefined;
      let page = pages.get(scope);
      if (!page) {
        page = { scope, folders: new BoundedCache(MAX_FOLDERS_PER_PAGE), files: 0 };
        pages.set(scope, page);
      }
      const listed = page;
      return page.folders.getOrCreate(`${account}\0${relDir}`, () =>
        dest.listFolder!(folder).then((index) => {
          count(listed, index.files);
          return shared(index);
        }),
      );
    },
    /** Files listed in all (what the bound counts). */
    get files() {
      return total;
    },
  };
}
