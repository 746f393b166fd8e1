// The gallery plan builder on hostile listings: ids that imitate Ferry's own repeat keys, 50,000 files
// of one name, and 1,000 set-aside entries with 4 KiB names and reasons (the activity result must stay
// far below Temporal's 2 MB payload limit).
import { describe, expect, it } from 'vitest';
import type { ListingEntry } from '../../activities/gallery/listing';
import { planBuilder, planKey } from '../../activities/gallery/plan';
import { briefFailure, clip, MAX_NAME_CHARS, MAX_REASON_CHARS } from '../../lib/text-limits';

const entry = (
  id: number | string,
  name: string,
  url = `https://files.gallery.test/${String(id)}.jpg`,
): ListingEntry => ({
  crc: '0000abcd',
  filesize: 10,
  name,
  url,
  id,
});
const allowAll = () => undefined;

describe('plan keys', () => {
  it('never collide, even when a listed id looks like a repeat key ("5#2")', () => {
    const b = planBuilder(allowAll);
    const items = [
      entry(5, 'a.jpg'),
      entry(5, 'b.jpg'),
      entry('5#2', 'c.jpg'),
      entry('5%232', 'd.jpg'),
      entry(5, 'e.jpg'),
    ]
      .map((e) => b.add(e)!)
      .map((i) => i.key);
    expect(new Set(items).size).toBe(items.length);
    expect(items).toEqual(['5', '5#2', '5%232', '5%25232', '5#3']);
  });

  it('keep plain ids as they are (tags of earlier runs still match)', () => {
    expect(planKey('49851012', 1)).toBe('49851012');
    expect(planKey('abc-def', 1)).toBe('abc-def');
  });
});

describe('same-name files', () => {
  it('get suffixes in linear time: 50,000 files of one name', () => {
    const b = planBuilder(allowAll);
    const started = Date.now();
    const paths: string[] = [];
    for (let i = 0; i < 50_000; i++) paths.push(b.add(entry(i, 'Album/IMG.jpg'))!.relPath);
    // Linear: well under a second; trying every suffix from (2) for every file took minutes.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(paths.slice(0, 3)).toEqual(['Album/IMG.jpg', 'Album/IMG (2).jpg', 'Album/IMG (3).jpg']);
    expect(paths[49_999]).toBe('Album/IMG (50000).jpg');
    expect(new Set(paths.map((p) => p.toLowerCase())).size).toBe(50_000);
  });

  it('still skip a literal name that looks like a suffixed one, compared case-insensitively', () => {
    const b = planBuilder(allowAll);
    const paths = [
      entry(1, 'IMG.jpg'),
      entry(2, 'img (2).JPG'),
      entry(3, 'IMG.jpg'),
      entry(4, 'img.JPG'),
      entry(5, 'IMG (2).jpg'),
    ].map((e) => b.add(e)!.relPath);
    expect(paths).toEqual(['IMG.jpg', 'img (2).JPG', 'IMG (3).jpg', 'img (4).JPG', 'IMG (2) (2).jpg']);
  });
});

describe('set-aside entries', () => {
  it('keep their names and reasons short: 1,000 × 4 KiB stays far below 2 MB', () => {
    const longHost = `${'h'.repeat(60)}.`.repeat(66) + 'evil.example';
    const b = planBuilder((url) => `file host ${new URL(url).hostname} is not in GALLERY_FILE_HOSTS`);
    for (let i = 0; i < 1_000; i++) b.add(entry(i, `${'n'.repeat(4096 - 10)}${i}.jpg`, `https://${longHost}/${i}.jpg`));
    expect(b.rejectedCount).toBe(1_000);
    expect(b.rejected).toHaveLength(1_000);
    for (const r of b.rejected) {
      expect(r.name.length).toBeLessThanOrEqual(MAX_NAME_CHARS);
      expect(r.reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    }
    expect(b.rejected[0]!.reason).toMatch(/^file host h+\.h+.*…$/);
    expect(Buffer.byteLength(JSON.stringify(b.rejected))).toBeLessThan(1024 * 1024);
  });
});

describe('clip', () => {
  it('cuts with an ellipsis and never leaves half a surrogate pair', () => {
    expect(clip('abc', 5)).toBe('abc');
    expect(clip('abcdef', 5)).toBe('abcd…');
    const cut = clip(`abc${'😀'.repeat(5)}`, 5);
    expect(cut).toBe('abc…');
    expect(
      briefFailure({
        key: 'k',
        relPath: 'a',
        status: 'failed',
        bytes: 0,
        error: { type: 'X', message: 'm'.repeat(5000) },
      }).error!.message,
    ).toHaveLength(MAX_REASON_CHARS);
  });
});
