// A faithful VK API stand-in (v5.199) as a real HTTP server on 127.0.0.1: GET or form POST to
// /method/<name>, HTTP 200 always, `{response}` or `{error:{error_code,error_msg,request_params}}`,
// 3 requests/s per token (error 6 beyond), bad, missing and expired tokens (error 5, VK's three texts),
// tokens without the photos right (error 15), private/deleted users, denied albums. Tokens belong to a
// user (users.get without user_ids answers that user) and may expire, like implicit-flow tokens (24 h).
// It also serves the photo files (`/impg/...`) like VK's CDN, so clouds can fetch them by URL.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultWorld, SYSTEM_ALBUMS, type FakePhoto, type FakeSize, type FakeUser } from './vk-world';

export interface VkCall {
  method: string;
  params: Record<string, string>;
  at: number;
  errorCode?: number;
}

export interface VkFake {
  /** The API base including /method, as VK_API_URL expects it. */
  apiUrl: string;
  /** Base of the photo files (the fake CDN). */
  filesUrl: string;
  /** A token of the first user that never expires (as with the `offline` right). */
  validToken: string;
  users: FakeUser[];
  /** A new token for a user, as VK's OAuth hands it out (rights default to photos; no expiry = offline). */
  issueToken(userId: number, options?: { expiresInSeconds?: number; rights?: Iterable<string> }): string;
  /** The token's lifetime runs out now: calls answer error 5 "access_token has expired". */
  expireToken(token: string): void;
  calls: VkCall[];
  /** Error 6 answers sent: a client that respects 3 req/s never sees one. */
  tooManyRequests(): number;
  /** The next `times` calls of `method` answer `code` (transient failures: 6, 9, 10, 29). */
  failNext(method: string, code: number, times?: number): void;
  fileRequests: string[];
  /** The bytes the fake CDN serves for a photo's size. */
  fileBytes(photo: FakePhoto, type: string): Buffer;
  close(): Promise<void>;
}

const MESSAGES: Record<number, string> = {
  3: 'Unknown method passed',
  5: 'User authorization failed: invalid access_token (4).',
  6: 'Too many requests per second',
  8: 'Invalid request: v (version) is required',
  9: 'Flood control',
  10: 'Internal server error: Unknown error, try later',
  15: 'Access denied',
  18: 'User was deleted or banned',
  29: 'Rate limit reached',
  30: 'This profile is private',
  100: 'One of the parameters specified was missing or invalid',
  113: 'Invalid user id',
  200: 'Access denied',
};

class VkApiError extends Error {
  constructor(
    readonly code: number,
    detail?: string,
  ) {
    super(detail ? `${MESSAGES[code] ?? 'Error'}: ${detail}` : (MESSAGES[code] ?? 'Error'));
  }
}

// VK's own texts for error 5, one per cause (seen in client issue trackers, e.g. python273/vk_api#503).
const authFailed = (why: string) => Object.assign(new VkApiError(5), { message: `User authorization failed: ${why}` });

interface FakeToken {
  userId: number;
  /** ms since the epoch; undefined = never (the `offline` right). */
  expiresAt?: number;
  rights: Set<string>;
}

async function readParams(req: IncomingMessage, url: URL): Promise<Record<string, string>> {
  const params: Record<string, string> = Object.fromEntries(url.searchParams);
  if (req.method === 'POST') {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    Object.assign(params, Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
  }
  return params;
}

const sizeUrl = (files: string, p: FakePhoto, s: FakeSize) =>
  `${files}/impg/${p.owner_id}_${p.id}_${s.type}.${p.ext ?? 'jpg'}?size=${s.width}x${s.height}&quality=95&type=album`;

export async function startVkFake(options: { users?: FakeUser[]; token?: string } = {}): Promise<VkFake> {
  const users = options.users ?? defaultWorld();
  const validToken = options.token ?? 'vk1.a.fake-user-token';
  const tokens = new Map<string, FakeToken>();
  if (users[0]) tokens.set(validToken, { userId: users[0].id, rights: new Set(['photos', 'offline']) });
  const calls: VkCall[] = [];
  const fileRequests: string[] = [];
  const recent = new Map<string, number[]>();
  const injected: Array<{ method: string; code: number; times: number }> = [];
  let tooMany = 0;
  let base = '';

  const byId = (id: number) => users.find((u) => u.id === id);
  const byName = (name: string) => users.find((u) => u.screen_name === name.toLowerCase());
  const ownerFor = (params: Record<string, string>): FakeUser => {
    const raw = params.owner_id;
    if (raw === undefined || !/^-?\d+$/.test(raw)) throw new VkApiError(100, 'owner_id is undefined');
    const user = byId(Number(raw));
    if (!user) throw new VkApiError(113);
    if (user.deactivated) throw new VkApiError(18);
    if (user.is_closed) throw new VkApiError(30);
    return user;
  };
  const photoJson = (p: FakePhoto) => ({
    id: p.id,
    album_id: p.album_id,
    owner_id: p.owner_id,
    date: p.date,
    text: '',
    has_tags: false,
    sizes: p.sizes.map((s) => ({ ...s, url: sizeUrl(`${base}`, p, s) })),
    ...(p.orig && { orig_photo: { ...p.orig, url: sizeUrl(base, p, p.orig) } }),
    likes: { count: p.likes, user_likes: 0 },
  });

  const methods: Record<string, (p: Record<string, string>, caller: FakeToken) => unknown> = {
    'users.get': (p, caller) => {
      // Without user_ids VK answers the token's own user: how a client learns whose token it holds.
      const ids = (p.user_ids ?? String(caller.userId)).split(',').filter(Boolean);
      const found = ids.map((raw) => (/^\d+$/.test(raw) ? byId(Number(raw)) : byName(raw)));
      if (ids.length && found.every((u) => !u)) throw new VkApiError(113);
      return found
        .filter((u): u is FakeUser => Boolean(u))
        .map((u) => ({
          id: u.id,
          first_name: u.first_name,
          last_name: u.last_name,
          ...(u.deactivated && { deactivated: u.deactivated }),
          is_closed: u.is_closed,
          can_access_closed: !u.is_closed,
        }));
    },
    'utils.resolveScreenName': (p) => {
      const user = byName(p.screen_name ?? '');
      return user ? { object_id: user.id, type: 'user' } : [];
    },
    'photos.getAlbums': (p) => {
      const user = ownerFor(p);
      const count = (albumId: number) => user.photos.filter((ph) => ph.album_id === albumId).length;
      const system = p.need_system === '1' ? Object.values(SYSTEM_ALBUMS) : [];
      const items = [...user.albums, ...system].map((a) => ({ id: a.id, title: a.title, size: count(a.id) }));
      return { count: items.length, items };
    },
    'photos.get': (p) => {
      const user = ownerFor(p);
      const raw = p.album_id ?? '';
      const albumId = SYSTEM_ALBUMS[raw]?.id ?? (/^-?\d+$/.test(raw) ? Number(raw) : undefined);
      if (albumId === undefined) throw new VkApiError(100, 'album_id is invalid');
      const album = user.albums.find((a) => a.id === albumId);
      if (album?.denied) throw new VkApiError(album.denied);
      if (albumId > 0 && !album) throw new VkApiError(200);
      const all = user.photos.filter((ph) => ph.album_id === albumId).sort((a, b) => a.date - b.date || a.id - b.id);
      if (p.rev === '1') all.reverse();
      const offset = Number(p.offset ?? 0);
      const count = Math.min(Number(p.count ?? 50), 1000);
      const items = all.slice(offset, offset + count).map(photoJson);
      if (p.extended !== '1') items.forEach((i) => delete (i as { likes?: unknown }).likes);
      return { count: all.length, items };
    },
  };

  function caller(accessToken: string | undefined): FakeToken {
    if (!accessToken) throw authFailed('no access_token passed.');
    const token = tokens.get(accessToken);
    if (!token) throw authFailed('invalid access_token (4).');
    if (token.expiresAt !== undefined && token.expiresAt <= Date.now()) throw authFailed('access_token has expired.');
    return token;
  }

  function answer(method: string, params: Record<string, string>): unknown {
    const handler = methods[method];
    if (!handler) throw new VkApiError(3);
    if (!params.v) throw new VkApiError(8);
    const token = caller(params.access_token);
    if (method.startsWith('photos.') && !token.rights.has('photos'))
      throw Object.assign(new VkApiError(15), { message: 'Access denied: no access to call this method' });
    // VK counts requests per token over the last second.
    const now = Date.now();
    const key = params.access_token!;
    const times = (recent.get(key) ?? []).filter((t) => now - t < 1000);
    times.push(now);
    recent.set(key, times);
    if (times.length > 3) {
      tooMany += 1;
      throw new VkApiError(6);
    }
    const fault = injected.find((f) => f.method === method && f.times > 0);
    if (fault) {
      fault.times -= 1;
      throw new VkApiError(fault.code);
    }
    return handler(params, token);
  }

  const fileBytes = (p: FakePhoto, type: string): Buffer => {
    const size = [...p.sizes, ...(p.orig ? [p.orig] : [])].find((s) => s.type === type);
    const length = 400 + ((size ? size.width * size.height : 0) % 2000) + (p.id % 97);
    const seed = createHash('sha256').update(`${p.owner_id}_${p.id}_${type}`).digest();
    return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(length, seed)]);
  };

  function serveFile(req: IncomingMessage, res: ServerResponse, url: URL) {
    fileRequests.push(url.pathname);
    const m = /^\/impg\/(\d+)_(\d+)_([\w]+)\.(\w+)$/.exec(url.pathname);
    const p = m && byId(Number(m[1]))?.photos.find((ph) => ph.id === Number(m[2]));
    if (!m || !p) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    const body = fileBytes(p, m[3]!);
    const type = m[4] === 'png' ? 'image/png' : 'image/jpeg';
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
      res.writeHead(206, {
        'content-type': type,
        'content-length': end - start + 1,
        'content-range': `bytes ${start}-${end}/${body.length}`,
        'accept-ranges': 'bytes',
      });
      res.end(req.method === 'HEAD' ? undefined : body.subarray(start, end + 1));
      return;
    }
    res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'accept-ranges': 'bytes' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/impg/')) return serveFile(req, res, url);
    const m = /^\/method\/([\w.]+)$/.exec(url.pathname);
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const params = await readParams(req, url);
    const call: VkCall = { method: m[1]!, params: { ...params, access_token: '[redacted]' }, at: Date.now() };
    calls.push(call);
    let body: unknown;
    try {
      body = { response: answer(m[1]!, params) };
    } catch (err) {
      const code = err instanceof VkApiError ? err.code : 10;
      call.errorCode = code;
      const request_params = Object.entries({ ...params, method: m[1]! })
        .filter(([k]) => k !== 'access_token')
        .map(([key, value]) => ({ key, value }));
      body = { error: { error_code: code, error_msg: (err as Error).message, request_params } };
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    apiUrl: `${base}/method`,
    filesUrl: base,
    validToken,
    users,
    issueToken(userId, { expiresInSeconds, rights = ['photos'] } = {}) {
      const token = `vk1.a.${randomBytes(24).toString('base64url')}`;
      const expiresAt = expiresInSeconds ? Date.now() + expiresInSeconds * 1000 : undefined;
      tokens.set(token, { userId, expiresAt, rights: new Set(rights) });
      return token;
    },
    expireToken(token) {
      const t = tokens.get(token);
      if (t) t.expiresAt = Date.now() - 1;
    },
    calls,
    tooManyRequests: () => tooMany,
    failNext: (method, code, times = 1) => injected.push({ method, code, times }),
    fileRequests,
    fileBytes,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
