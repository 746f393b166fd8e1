// Largest size, names by likes (ties by day, then id), extensions, and the report's exact text.
import { describe, expect, it } from 'vitest';
import {
  extensionFromContentType,
  extensionFromUrl,
  formatReport,
  nameByLikes,
  pickLargest,
  type ChosenPhoto,
  type PhotoSize,
} from '../../lib/photo-naming';

const size = (type: string, width: number, height: number): PhotoSize => ({
  type,
  width,
  height,
  url: `https://sun9-1.userapi.com/x_${type}.jpg`,
});

const chosen = (id: string, likes: number, iso: string, ext = 'jpg'): ChosenPhoto => ({
  key: `vk:1_${id}`,
  id,
  likes,
  date: Date.parse(iso) / 1000,
  sizes: [],
  size: size('z', 1080, 1024),
  ext,
});

describe('pickLargest', () => {
  it('takes the largest area, counting orig_photo', () => {
    expect(pickLargest([size('s', 75, 50), size('w', 2560, 1920), size('base', 4000, 3000)])?.type).toBe('base');
    expect(pickLargest([size('z', 1080, 810), size('y', 807, 605), size('x', 604, 453)])?.type).toBe('z');
  });

  it('falls back to w > z > y > x > r > q > p > o > m > s when every dimension is 0', () => {
    expect(pickLargest([size('s', 0, 0), size('x', 0, 0), size('m', 0, 0), size('o', 0, 0)])?.type).toBe('x');
    expect(pickLargest([size('r', 0, 0), size('q', 0, 0), size('p', 0, 0)])?.type).toBe('r');
    expect(pickLargest([size('y', 0, 0), size('w', 0, 0), size('z', 0, 0)])?.type).toBe('w');
  });

  it('never crashes on unknown letters, and prefers a known one over them', () => {
    expect(pickLargest([size('k', 0, 0), size('s', 0, 0), size('q2', 0, 0)])?.type).toBe('s');
    expect(pickLargest([size('k', 0, 0), size('q2', 0, 0)])?.type).toBe('k');
    expect(pickLargest([])).toBeUndefined();
    expect(pickLargest([{ type: 'x', width: 1, height: 1, url: '' }])).toBeUndefined();
  });
});

describe('nameByLikes', () => {
  it('names by like count, adds the day on a tie and the id on a tie of both', () => {
    const names = nameByLikes([
      chosen('9105', 7, '2024-03-05T09:00:00Z'),
      chosen('9104', 7, '2024-03-01T12:00:00Z'),
      chosen('9103', 7, '2024-03-01T10:00:00Z'),
      chosen('9102', 34, '2024-02-15T08:00:00Z', 'png'),
      chosen('9101', 34, '2024-01-31T20:00:00Z'),
      chosen('9100', 12, '2023-06-01T00:00:00Z'),
    ]).map((p) => p.fileName);
    expect(names).toEqual([
      '7_2024-03-05.jpg',
      '7_2024-03-01_9104.jpg',
      '7_2024-03-01_9103.jpg',
      '34_2024-02-15.png',
      '34_2024-01-31.jpg',
      '12.jpg',
    ]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('is deterministic: the same photos in another order get the same names', () => {
    const photos = [chosen('1', 5, '2024-01-01T00:00:00Z'), chosen('2', 5, '2024-01-01T05:00:00Z')];
    const a = Object.fromEntries(nameByLikes(photos).map((p) => [p.id, p.fileName]));
    const b = Object.fromEntries(nameByLikes([...photos].reverse()).map((p) => [p.id, p.fileName]));
    expect(a).toEqual(b);
    expect(a).toEqual({ '1': '5_2024-01-01_1.jpg', '2': '5_2024-01-01_2.jpg' });
  });
});

describe('extensions and the report', () => {
  it('reads the extension from the URL, else from the content type', () => {
    expect(extensionFromUrl('https://sun9-1.userapi.com/impg/abc.JPEG?size=1x1&sign=x')).toBe('jpg');
    expect(extensionFromUrl('https://sun9-1.userapi.com/impg/abc.png')).toBe('png');
    expect(extensionFromUrl('https://sun9-1.userapi.com/impg/abc')).toBeUndefined();
    expect(extensionFromContentType('image/webp')).toBe('webp');
    expect(extensionFromContentType('text/html')).toBeUndefined();
  });

  it("formats the report exactly like the seed's example", () => {
    expect(formatReport([{ file_name: '34.jpg', size: 'z' }])).toBe('[{"file_name": "34.jpg", "size": "z"}]');
    const text = formatReport([
      { file_name: '34.jpg', size: 'z' },
      { file_name: '7_2024-03-05.jpg', size: 'base' },
    ]);
    expect(text).toBe('[{"file_name": "34.jpg", "size": "z"}, {"file_name": "7_2024-03-05.jpg", "size": "base"}]');
    expect(JSON.parse(text)).toHaveLength(2);
  });
});
