// The VK size probe (one HEAD per photo on the CDN) under the SSRF guard: redirects are followed by
// hand and each hop checked, a CDN name that resolves to a private address gets no connection, and a
// photo listed twice is planned once (plan keys are unique).
import { createServer } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPhotoPlan } from '../../activities/photo-backup/plan';
import { nameByLikes, type ChosenPhoto, type SourcePhoto } from '../../lib/photo-naming';

const hits: string[] = [];
let port = 0;
let connections = 0;
const cdn = createServer((req, res) => {
  hits.push(`${req.method} ${req.url}`);
  if (req.url === '/elsewhere.jpg')
    return void res.writeHead(302, { location: `http://localhost:${port}/secret.jpg` }).end();
  if (req.url === '/moved.jpg') return void res.writeHead(301, { location: '/real.jpg' }).end();
  if (req.url === '/loop.jpg') return void res.writeHead(302, { location: '/loop.jpg' }).end();
  res
    .writeHead(200, { 'content-type': 'image/png', 'content-length': req.url === '/secret.jpg' ? '999' : '1234' })
    .end();
});
cdn.on('connection', () => (connections += 1));

beforeAll(async () => {
  await new Promise<void>((r) => cdn.listen(0, '127.0.0.1', r));
  port = (cdn.address() as AddressInfo).port;
});
afterAll(() => new Promise((r) => cdn.close(r)));

const photo = (id: number, url: string): SourcePhoto => ({
  key: `vk:1_${id}`,
  id: String(id),
  date: 1_700_000_000 + id,
  likes: id,
  sizes: [{ type: 'w', url, width: 100, height: 100 }],
});
const local = { allowedHosts: ['127.0.0.1'], allowPrivateNetwork: true };

describe('VK size probe', () => {
  it('follows a redirect on the allowed host by hand, and refuses one that leaves it', async () => {
    const plan = await buildPhotoPlan(
      [photo(1, `http://127.0.0.1:${port}/moved.jpg`), photo(2, `http://127.0.0.1:${port}/elsewhere.jpg`)],
      { guard: local },
    );
    expect(plan.items.find((i) => i.key === 'vk:1_1')?.size).toBe(1234);
    // The redirect to another host was not followed: no size, and nothing reached /secret.jpg.
    expect(plan.items.find((i) => i.key === 'vk:1_2')?.size).toBeUndefined();
    expect(hits).not.toContain('HEAD /secret.jpg');
    expect(hits).toContain('HEAD /real.jpg');
  });

  it('stops after a bounded number of hops', async () => {
    const before = hits.filter((h) => h === 'HEAD /loop.jpg').length;
    const plan = await buildPhotoPlan([photo(3, `http://127.0.0.1:${port}/loop.jpg`)], { guard: local });
    expect(plan.items[0]?.size).toBeUndefined();
    expect(hits.filter((h) => h === 'HEAD /loop.jpg').length - before).toBe(6);
  });

  it('never connects to a CDN name that resolves to a private address', async () => {
    const lookup = ((_host, options, cb) =>
      (options as { all?: boolean }).all
        ? cb(null, [{ address: '127.0.0.1', family: 4 }])
        : cb(null, '127.0.0.1', 4)) as LookupFunction;
    const before = connections;
    const plan = await buildPhotoPlan([photo(4, `https://sun9-4.userapi.com:${port}/x.jpg`)], {
      guard: { allowedHosts: ['userapi.com'], lookup },
    });
    expect(plan.items[0]?.size).toBeUndefined();
    expect(connections).toBe(before);
  });

  it('plans a photo listed twice once: keys stay unique', async () => {
    const twice = photo(5, `http://127.0.0.1:${port}/real.jpg`);
    const plan = await buildPhotoPlan([twice, photo(6, `http://127.0.0.1:${port}/real.jpg`), { ...twice }], {
      guard: local,
    });
    expect(plan.items.map((i) => i.key)).toEqual(['vk:1_5', 'vk:1_6']);
    expect(new Set(plan.report.map((r) => r.key)).size).toBe(plan.report.length);
  });
});

describe('naming by likes', () => {
  it('names 50,000 photos with one like count in linear time (it runs inside a heartbeating activity)', () => {
    const photos: ChosenPhoto[] = Array.from({ length: 50_000 }, (_, i) => ({
      key: `vk:1_${i}`,
      id: String(i),
      date: 1_700_000_000,
      likes: 0,
      sizes: [],
      size: { type: 'w', url: 'https://userapi.com/x.jpg', width: 1, height: 1 },
      ext: 'jpg',
    }));
    const started = Date.now();
    const named = nameByLikes(photos);
    // Linear: well under a second; copying the group on every append took over 30 s here.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(named[49_999]?.fileName).toBe('0_2023-11-14_49999.jpg');
  });
});
