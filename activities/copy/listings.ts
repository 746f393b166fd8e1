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
import type { CopyPlanItem } from '../../lib/copy-plan';
import type { Destination, FolderIndex, FolderRef, ProbeResult } from '../clouds/destination';

/** Listings kept per worker: a large folder's listing is its files' names and tags (~200 bytes each). */
const MAX_LISTINGS = 32;

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

/** The worker's listings, by account, scope (plan and page) and folder; forgets all when full. */
export function createListings(max = MAX_LISTINGS) {
  const map = new Map<string, Promise<SharedListing>>();
  return {
    /** Undefined when the destination cannot list a folder. */
    of(dest: Destination, account: string, scope: string, relDir: string, folder: FolderRef) {
      if (!dest.listFolder) return undefined;
      const k = `${account}\0${scope}\0${relDir}`;
      let p = map.get(k);
      if (!p) {
        if (map.size >= max) map.clear();
        p = dest.listFolder(folder).then(shared);
        map.set(k, p);
        // A failed listing is not kept: the next caller lists again (or probes).
        p.catch(() => map.delete(k));
      }
      return p;
    },
  };
}
