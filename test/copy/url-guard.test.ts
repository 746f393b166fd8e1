// The SSRF guard where it matters: on the address a connection actually reaches. A resolver that
// answers a private address for an allowed name (DNS rebinding) must get no connection at all; NAT64,
// 6to4 and other IPv6 forms that carry an IPv4 address are refused; redirects go through the guard hop
// by hop, a bounded number of times.
import type { LookupAddress } from 'node:dns';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type LookupFunction } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedFollow, guardedRequest } from '../../activities/copy/guarded-http';
import { SourceReader } from '../../activities/copy/source';
import { assertFetchable, checkTarget } from '../../activities/copy/url-guard';
import { guardedGet } from '../../activities/gallery/listing';

/** A resolver that answers `addresses` for every name, as a rebinding DNS server would; counts its calls. */
function resolverAnswering(...addresses: string[]) {
  const calls: string[] = [];
  const lookup = ((hostname, options, callback) => {
    calls.push(hostname);
    const all: LookupAddress[] = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    if ((options as { all?: boolean }).all) callback(null, all);
    else callback(null, all[0]!.address, all[0]!.family);
  }) as LookupFunction;
  return { lookup, calls };
}

const listen = (server: Server | ReturnType<typeof createTcpServer>) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );

// A bare TCP listener: it counts connections, so "refused before connecting" is observable.
let tcpConnections = 0;
let tcpPort = 0;
const tcp = createTcpServer((socket) => {
  tcpConnections += 1;
  socket.destroy();
});
// A plain HTTP server that records what reached it; /hop/<n> redirects n more times.
const httpHits: string[] = [];
let httpPort = 0;
const web = createHttpServer((req, res) => {
  httpHits.push(req.url ?? '');
  const hop = /^\/hop\/(\d+)$/.exec(req.url ?? '');
  if (hop) return void res.writeHead(302, { location: `/hop/${Number(hop[1]) + 1}` }).end();
  const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to');
  if (to) return void res.writeHead(302, { location: to }).end();
  res.end('hello');
});

beforeAll(async () => {
  tcpPort = await listen(tcp);
  httpPort = await listen(web);
});
afterAll(async () => {
  await new Promise((r) => tcp.close(r));
  await new Promise((r) => web.close(r));
});

describe('the connection-time check (DNS rebinding)', () => {
  it('refuses an allowed host whose connection resolves to a private address, before any connection', async () => {
    const { lookup, calls } = resolverAnswering('127.0.0.1');
    const before = tcpConnections;
    const err = await guardedRequest(`https://photos.cdn.test:${tcpPort}/a.jpg`, {
      allowedHosts: ['cdn.test'],
      lookup,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'ForbiddenTarget', nonRetryable: true });
    expect(String((err as Error).message)).toMatch(/photos\.cdn\.test resolves to a private or reserved address/);
    // The connection itself asked the resolver: the check sits where the socket gets its address.
    expect(calls).toContain('photos.cdn.test');
    expect(tcpConnections).toBe(before);
  });

  it('refuses when any answer is private (a public decoy first), and for link-local and NAT64 answers', async () => {
    for (const answers of [
      ['93.184.216.34', '10.0.0.7'],
      ['169.254.169.254'],
      ['64:ff9b::a9fe:a9fe'],
      ['2002:7f00:1::1'],
      ['::ffff:127.0.0.1'],
    ]) {
      const before = tcpConnections;
      const err = await guardedRequest(`https://cdn.test:${tcpPort}/x`, {
        lookup: resolverAnswering(...answers).lookup,
      }).catch((e: unknown) => e);
      expect(err, answers.join(',')).toMatchObject({ type: 'ForbiddenTarget' });
      expect(tcpConnections).toBe(before);
    }
  });

  it('the copy engine source reader and the gallery listing fetch go through the same check', async () => {
    const before = tcpConnections;
    const guard = { allowedHosts: ['up-d.lite.gallery'], lookup: resolverAnswering('192.168.1.10').lookup };
    const reader = new SourceReader(`https://up-d.lite.gallery:${tcpPort}/uploads/1.jpg`, guard);
    await expect(reader.open(0)).rejects.toMatchObject({ type: 'ForbiddenTarget', nonRetryable: true });
    await expect(
      guardedGet(`https://app.litegallery.io:${tcpPort}/g/api/stream/1/x?json=true`, {
        allowedHosts: ['app.litegallery.io'],
        lookup: resolverAnswering('100.64.0.9').lookup,
      }),
    ).rejects.toMatchObject({ type: 'ForbiddenTarget' });
    expect(tcpConnections).toBe(before);
  });

  it('connects where the checked answer points when the private network is allowed (local stand-ins)', async () => {
    const { lookup, calls } = resolverAnswering('127.0.0.1');
    const res = await guardedRequest(`http://stand-in.test:${httpPort}/ok`, { allowPrivateNetwork: true, lookup });
    const body = await new Promise<string>((resolve) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve(text));
    });
    expect(body).toBe('hello');
    expect(calls).toEqual(['stand-in.test']);
  });
});

describe('blocked ranges', () => {
  it('refuses NAT64, 6to4, Teredo, IPv4-mapped and IPv4-compatible literals, and the usual private ranges', async () => {
    for (const host of [
      '[64:ff9b::a9fe:a9fe]', // NAT64 of 169.254.169.254
      '[64:ff9b::808:808]', // NAT64, even of a public address: it could as well carry a private one
      '[64:ff9b:1::a00:1]', // local-use NAT64 (RFC 8215)
      '[2002:a9fe:a9fe::1]', // 6to4 of 169.254.169.254
      '[2001:0:4136:e378:8000:63bf:3fff:fdd2]', // Teredo
      '[::ffff:127.0.0.1]',
      '[::ffff:a9fe:a9fe]',
      '[::7f00:1]', // IPv4-compatible ::127.0.0.1
      '[fec0::1]', // site-local
      '[fd12::1]',
      '[fe80::1]',
      '[::1]',
      '127.0.0.1',
      '10.1.2.3',
      '100.64.1.1',
      '169.254.169.254',
      '172.16.0.1',
      '192.168.0.1',
      '198.18.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
    ]) {
      expect(() => checkTarget(`https://${host}/x`), host).toThrow(/private or reserved/);
      await expect(assertFetchable(`https://${host}/x`), host).rejects.toMatchObject({ type: 'ForbiddenTarget' });
    }
    expect(checkTarget('https://8.8.8.8/x').host).toBe('8.8.8.8');
    expect(checkTarget('https://[2606:4700::1111]/x').hostname).toBe('[2606:4700::1111]');
  });

  it('checks the answers of a name another service will fetch (Yandex upload from URL)', async () => {
    await expect(
      assertFetchable('https://cdn.test/x', { lookup: resolverAnswering('64:ff9b::a00:1').lookup }),
    ).rejects.toMatchObject({ type: 'ForbiddenTarget' });
    expect(
      (await assertFetchable('https://cdn.test/x', { lookup: resolverAnswering('93.184.216.34').lookup })).host,
    ).toBe('cdn.test');
  });
});

describe('redirects', () => {
  const local = { allowPrivateNetwork: true, allowedHosts: ['127.0.0.1'] };

  it('follows a redirect only to a target the guard allows', async () => {
    const hits = httpHits.length;
    const toOtherHost = `http://127.0.0.1:${httpPort}/?to=${encodeURIComponent(`http://localhost:${httpPort}/secret`)}`;
    await expect(guardedFollow(toOtherHost, local)).rejects.toMatchObject({ type: 'ForbiddenTarget' });
    const toFile = `http://127.0.0.1:${httpPort}/?to=${encodeURIComponent('file:///etc/passwd')}`;
    await expect(guardedFollow(toFile, local)).rejects.toMatchObject({ type: 'ForbiddenTarget' });
    expect(httpHits.slice(hits).filter((u) => u === '/secret')).toEqual([]);
  });

  it('gives up after five hops, non-retryably', async () => {
    const err = await guardedFollow(`http://127.0.0.1:${httpPort}/hop/0`, local).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'TooManyRedirects', nonRetryable: true });
    expect(httpHits.filter((u) => u.startsWith('/hop/')).length).toBe(6);
  });
});
