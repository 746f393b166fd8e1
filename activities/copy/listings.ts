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
 * Pages whose listings a worker keeps: one copy runs one page at a time, so this is how many copies at
 * once on one worker keep theirs. A page keeps the listing of every folder it touches (500 items may
 * span 500 folders, a plan that lists its albums interleaved): a bound below that would evict the
 * listings its own later batches need, and every photo would cost a probe of its own again. A listing
 * holds its folder's names and tags (~200 bytes a file).
 */
const MAX_PAGES_LISTED = 4;
const MAX_FOLDERS_PER_PAGE = 500;

export interface SharedListing {
  probe(name: string, item: CopyPlanItem): Promise<ProbeResult>;
  /** `name` is about to be uploaded to for `key`. */
  claim(name: string, key: string): void;
  /** Whether an item of this key already claimed a name here (an earlier attempt on this worker). */
  touched(key: string): boolean;
}

function shared(index: FolderIndex): SharedListing {
  const keys = new Set<string>();
  return {
    probe: (name, item) => index.probe(name, item),
    claim(name, key) {
      keys.add(key);
      index.claim(name);
    },
    touched: (key) => keys.has(key),
  };
}

/** The worker's listings, by scope (plan and page), account and folder; a finished page's go first. */
export function createListings(maxPages = MAX_PAGES_LISTED) {
  const pages = new BoundedCache<BoundedCache<Promise<SharedListing>>>(maxPages);
  return {
    /** Undefined when the destination cannot list a folder. A failed listing is not kept: the next caller lists again. */
    of(dest: Destination, account: string, scope: string, relDir: string, folder: FolderRef) {
      if (!dest.listFolder) return undefined;
      const page = pages.getOrCreate(scope, () => new BoundedCache(MAX_FOLDERS_PER_PAGE));
      return page.getOrCreate(`${account}\0${relDir}`, () => dest.listFolder!(folder).then(shared));
    },
  };
}
