// A scheduled backup's names: photos of earlier runs keep theirs (pinned), and new photos tie with them
// as if every photo had been named in one run, so no name is taken twice and nothing is copied twice.
import { describe, expect, it } from 'vitest';
import { buildPhotoPlan } from '../../activities/photo-backup/plan';
import { nameByLikes, type ChosenPhoto, type SourcePhoto } from '../../lib/photo-naming';

const photo = (id: string, likes: number, iso: string): SourcePhoto => ({
  key: `vk:1_${id}`,
  id,
  likes,
  date: Date.parse(iso) / 1000,
  // Nothing listens there: the plan's HEAD fails quickly and the name falls back to .jpg.
  sizes: [{ type: 'w', url: `http://127.0.0.1:9/p${id}`, width: 100, height: 100 }],
});
const chosen = (p: SourcePhoto): ChosenPhoto => ({ ...p, size: p.sizes[0]!, ext: 'jpg' });
const names = (photos: SourcePhoto[], taken: string[] = []) =>
  nameByLikes(photos.map(chosen), new Set(taken)).map((p) => p.fileName);

describe('names next to earlier runs', () => {
  it('ties a new photo with the names already taken', () => {
    const p = photo('9101', 34, '2024-01-31T20:00:00Z');
    expect(names([p])).toEqual(['34.jpg']);
    expect(names([p], ['34'])).toEqual(['34_2024-01-31.jpg']);
    expect(names([p], ['34_2024-02-15'])).toEqual(['34_2024-01-31.jpg']);
    expect(names([p], ['34_2024-01-31'])).toEqual(['34_2024-01-31_9101.jpg']);
    expect(names([p], ['34_2024-01-31_9100'])).toEqual(['34_2024-01-31_9101.jpg']);
    // Another like count, or a like count that only starts the same, is no tie.
    expect(names([p], ['3', '340', '3_2024-01-31', '7_2024-01-31'])).toEqual(['34.jpg']);
  });

  it('keeps pinned names when likes change, and names only the new photos', async () => {
    const old = [photo('9103', 50, '2024-03-01T10:00:00Z'), photo('9104', 7, '2024-03-01T12:00:00Z')];
    const pinned = new Map([
      ['vk:1_9103', '7_2024-03-01_9103.jpg'],
      ['vk:1_9104', '7_2024-03-01_9104.jpg'],
      ['vk:1_9000', '50.jpg'], // backed up earlier, no longer listed: its name is still taken
    ]);
    const fresh = [photo('9106', 50, '2024-04-01T10:00:00Z'), photo('9107', 7, '2024-03-01T18:00:00Z')];
    const plan = await buildPhotoPlan([...fresh, ...old], { guard: { allowPrivateNetwork: true }, pinned });
    expect(plan.report.map((e) => [e.photoId, e.file_name])).toEqual([
      ['9106', '50_2024-04-01.jpg'],
      ['9107', '7_2024-03-01_9107.jpg'],
      ['9103', '7_2024-03-01_9103.jpg'],
      ['9104', '7_2024-03-01_9104.jpg'],
    ]);
    expect(plan.items.map((i) => i.relPath)).toEqual(plan.report.map((e) => e.file_name));
  });
});
