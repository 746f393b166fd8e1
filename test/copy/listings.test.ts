// The worker's folder listings (activities/copy/listings.ts): one listing per folder and page, bounded in
// files listed, so a gallery whose albums fill as it copies does not grow the worker; the running page's
// listings are kept, earlier pages' go first.
import { describe, expect, it } from 'vitest';
import type { Destination, FolderIndex, FolderRef } from '../../activities/clouds/destination';
import { createListings } from '../../activities/copy/listings';

/** A destination whose folders each hold `files` files; counts the listings it was asked for. */
function listingDestination(files: number) {
  const listed: string[] = [];
  const dest = {
    cloud: 'google_drive',
    listFolder: async (folder: FolderRef): Promise<FolderIndex> => {
      listed.push(folder.id);
      return { files, probe: async () => ({ freeName: 'x' }), claim: () => undefined };
    },
  } as unknown as Destination;
  return { dest, listed };
}

const folder = (id: string): FolderRef => ({ id, path: id });

describe('folder listings', () => {
  it('list each folder of a page once, however many folders the page touches', async () => {
    const { dest, listed } = listingDestination(10);
    const listings = createListings();
    for (let round = 0; round < 3; round++)
      for (let i = 0; i < 300; i++) await listings.of(dest, 'acct', 'plan/page-0', `Album ${i}`, folder(`f${i}`));
    expect(listed).toHaveLength(300);
  });

  it("are bounded in files listed: earlier pages' listings go first, the running page keeps its own", async () => {
    const { dest, listed } = listingDestination(400);
    const listings = createListings(1000);
    for (let i = 0; i < 2; i++) await listings.of(dest, 'acct', 'page-0', `A${i}`, folder(`p0-${i}`));
    for (let i = 0; i < 2; i++) await listings.of(dest, 'acct', 'page-1', `A${i}`, folder(`p1-${i}`));
    // 1,600 files listed: page-0 went, page-1 (the newest) stayed.
    expect(listings.files).toBe(800);
    await listings.of(dest, 'acct', 'page-1', 'A0', folder('p1-0'));
    expect(listed).toHaveLength(4);
    await listings.of(dest, 'acct', 'page-0', 'A0', folder('p0-0'));
    expect(listed).toHaveLength(5);
    // A page over the bound on its own still keeps every folder it lists.
    for (let i = 0; i < 5; i++) await listings.of(dest, 'acct', 'page-2', `A${i}`, folder(`p2-${i}`));
    for (let i = 0; i < 5; i++) await listings.of(dest, 'acct', 'page-2', `A${i}`, folder(`p2-${i}`));
    expect(listed).toHaveLength(10);
    expect(listings.files).toBe(2000);
  });
});
