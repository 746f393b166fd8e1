// A faithful OK (Odnoklassniki) REST stand-in as a real HTTP server on 127.0.0.1, built from
// /work/shared/ok-api-notes.md, not from Ferry's client: GET or form POST to /fb.do with `method` as a
// parameter; HTTP 200 with the result or {"error_code", "error_msg": "NAME : text", "error_data"}.
// It verifies every signature exactly (sorted by key, k=v joined, + md5(access_token + secret), sig and
// access_token left out), pages photos.getPhotos with `anchor` and photos.getAlbums with `pagingAnchor`,
// limits `count`, answers flood errors (8), expired (102) and unknown (103) tokens, private users
// (455), and serves the photo files like OK's CDN (./ok-cdn.ts). users.getCurrentUser names a token's
// owner (what `ferry login ok` checks); ./ok-oauth.ts issues tokens through issueToken.
import { randomBytes } from 'node:crypto';
import { listen, readBody, sendJson } from './http-kit';
import { okCdn } from './ok-cdn';
import { defaultOkWorld, OK_SIZE_FIELDS, type OkFakePhoto, type OkFakeUser } from './ok-world';
import { verifyOkSignature } from './ok-signature';

export interface OkCall {
  method: string;
  http: string;
  /** Every parameter received, the token redacted. */
  params: Record<string, string>;
  errorCode?: number;
}

export interface OkFakeOptions {
  users?: OkFakeUser[];
  applicationKey?: string;
  applicationSecretKey?: string;
  /** Tokens and the user each belongs to; the first user's by default. */
  tokens?: Record<string, string>;
  /** Tokens that answer 102 PARAM_SESSION_EXPIRED. */
  expiredTokens?: string[];
  /** Calls per token per second before 8 FLOOD_BLOCKED (OK publishes no number). */
  floodPerSecond?: number;
  /** Items a page holds at most even when more are asked (OK "sometimes" returns 99 of 100). */
  photoPageCap?: number;
  albumPageCap?: number;
  /** photos.getPhotos with count > 100: an error (the default) or clamped. Not confirmed either way. */
  photoCountOver?: 'error' | 'clamp';
  /** Whether the last page still carries an anchor (not confirmed). */
  anchorOnLastPage?: boolean;
}

export interface OkFake {
  /** OK_API_URL. */
  apiUrl: string;
  applicationKey: string;
  applicationSecretKey: string;
  validToken: string;
  expiredToken: string;
  /** A new token of `uid` that OK answers 102 for once `seconds` have passed (OAuth's expires_in). */
  issueToken(uid: string, seconds: number): string;
  /** From now on the token answers 102 PARAM_SESSION_EXPIRED. */
  expireToken(token: string): void;
  users: OkFakeUser[];
  calls: OkCall[];
  fileRequests: string[];
  /** The next `times` calls of `method` answer `code` (2 SERVICE, 8 FLOOD_BLOCKED ...). */
  failNext(method: string, code: number, times?: number): void;
  /** The next `times` downloads of a photo's files answer HTTP `status`. */
  failFile(photoId: string, status: number, times?: number): void;
  /** The bytes the fake CDN serves for a photo's size field. */
  fileBytes(photo: OkFakePhoto, field: string): Buffer;
  close(): Promise<void>;
}

const NAMES: Record<number, string> = {
  2: 'SERVICE',
  3: 'METHOD',
  8: 'FLOOD_BLOCKED',
  10: 'PERMISSION_DENIED',
  100: 'PARAM',
  101: 'PARAM_API_KEY',
  102: 'PARAM_SESSION_EXPIRED',
  103: 'PARAM_SESSION_KEY',
  104: 'PARAM_SIGNATURE',
  110: 'PARAM_USER_ID',
  120: 'PARAM_ALBUM_ID',
  300: 'NOT_FOUND',
  453: 'SESSION_REQUIRED',
  455: 'FRIEND_RESTRICTION',
};

class OkError extends Error {
  constructor(
    readonly code: number,
    text: string,
  ) {
    super(`${NAMES[code] ?? 'UNKNOWN'} : ${text}`);
  }
}

/** Default field set when `fields` is absent: not documented, so small. */
const DEFAULT_PHOTO_FIELDS = ['id', 'album_id', 'created_ms', 'pic640x480'];
const PHOTO_FIELDS = new Set([
  'id',
  'album_id',
  'created_ms',
  'like_count',
  'standard_width',
  'standard_height',
  'text',
  ...Object.keys(OK_SIZE_FIELDS),
]);

/** `photo.PIC_MAX,user_photo.like_count,photo.*` -> the field names, lower case; unknown ones refused. */
function parseFields(raw: string | undefined): Set<string> {
  if (raw === undefined) return new Set(DEFAULT_PHOTO_FIELDS);
  const out = new Set<string>(['id']);
  for (const part of raw
    .split(',')
    .map((f) => f.trim().toLowerCase())
    .filter(Boolean)) {
    const m = /^(photo|user_photo|group_photo)\.([a-z0-9_*]+)$/.exec(part);
    if (!m) throw new OkError(100, `Invalid field ${part}`);
    if (m[2] === '*') PHOTO_FIELDS.forEach((f) => out.add(f));
    else if (PHOTO_FIELDS.has(m[2]!)) out.add(m[2]!);
    else throw new OkError(100, `Invalid field ${part}`);
  }
  return out;
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const unb64 = (s: string): unknown => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));

export async function startOkFake(options: OkFakeOptions = {}): Promise<OkFake> {
  const users = options.users ?? defaultOkWorld();
  const applicationKey = options.applicationKey ?? 'CBAFAKEAPPKEY';
  const applicationSecretKey = options.applicationSecretKey ?? 'FAKE0SECRET0KEY0OF0THE0APP';
  const validToken = 'tkn1.fake-ok-access-token';
  const expiredToken = 'tkn1.expired-ok-access-token';
  const tokens = { ...(options.tokens ?? { [validToken]: users[0]!.uid }) };
  const expired = new Set(options.expiredTokens ?? [expiredToken]);
  const expiresAt = new Map<string, number>();
  const photoCap = options.photoPageCap ?? 100;
  const albumCap = options.albumPageCap ?? 100;
  const calls: OkCall[] = [];
  const recent = new Map<string, number[]>();
  const injected: Array<{ method: string; code: number; times: number }> = [];
  const cdn = okCdn(users, applicationSecretKey);

  /** The user a call is about: fid, else the token's owner (OK's documented default). */
  function subject(params: Record<string, string>, owner: string): OkFakeUser {
    const fid = params.fid ?? owner;
    if (!/^\d+$/.test(fid)) throw new OkError(110, `Invalid user id ${fid}`);
    const user = users.find((u) => u.uid === fid);
    if (!user) throw new OkError(300, `User not found ${fid}`);
    if (user.private && user.uid !== owner)
      throw new OkError(455, 'Access to the user photos is restricted to friends');
    return user;
  }

  const count = (raw: string | undefined, over: 'error' | 'clamp', def: number) => {
    const n = raw === undefined ? def : Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new OkError(100, `Invalid count ${raw}`);
    if (n > 100 && over === 'error') throw new OkError(100, `count must be at most 100, got ${n}`);
    return Math.min(n, 100);
  };

  /** An anchor names a position in one listing; one from another listing (or forged) is refused. */
  const anchorFor = (scope: string, offset: number) => b64({ s: scope, o: offset });
  const offsetOf = (anchor: string | undefined, scope: string) => {
    if (anchor === undefined) return 0;
    try {
      const a = unb64(anchor) as { s: string; o: number };
      if (a.s === scope && Number.isInteger(a.o)) return a.o;
    } catch {
      // fall through
    }
    throw new OkError(100, `Invalid anchor ${anchor}`);
  };

  function photoJson(p: OkFakePhoto, fields: Set<string>) {
    const out: Record<string, unknown> = { id: p.id };
    if (fields.has('album_id') && p.album_id) out.album_id = p.album_id;
    for (const f of ['created_ms', 'like_count', 'standard_width', 'standard_height'] as const) {
      if (fields.has(f)) out[f] = p[f];
    }
    for (const field of p.sizes) if (fields.has(field)) out[field] = cdn.fileUrl(p, field);
    return { ...out, ...p.raw };
  }

  const methods: Record<string, (p: Record<string, string>, owner: string) => unknown> = {
    'photos.getPhotos': (p, owner) => {
      const user = subject(p, owner);
      const album = p.aid === undefined ? undefined : user.albums.find((a) => a.aid === p.aid);
      if (p.aid !== undefined && !album) throw new OkError(120, `Invalid album id ${p.aid}`);
      if (album?.denied) throw new OkError(album.denied, `Access to album ${album.aid} denied`);
      const fields = parseFields(p.fields);
      const all = user.photos
        .filter((ph) => ph.album_id === p.aid)
        .sort((a, b) => b.created_ms - a.created_ms || (a.id < b.id ? 1 : -1));
      const scope = `photos:${user.uid}:${p.aid ?? ''}`;
      const offset = offsetOf(p.anchor, scope);
      const take = Math.min(count(p.count, options.photoCountOver ?? 'error', 10), photoCap);
      const page = all.slice(offset, offset + take);
      const hasMore = offset + page.length < all.length;
      return {
        photos: page.map((ph) => photoJson(ph, fields)),
        hasMore,
        ...((hasMore || (options.anchorOnLastPage ?? true)) && { anchor: anchorFor(scope, offset + page.length) }),
        ...(p.detectTotalCount === 'true' && { totalCount: all.length }),
      };
    },
    'photos.getAlbums': (p, owner) => {
      const user = subject(p, owner);
      const scope = `albums:${user.uid}`;
      const offset = offsetOf(p.pagingAnchor, scope);
      // A live test saw count=120 refused here.
      const take = Math.min(count(p.count, 'error', 10), albumCap);
      const page = user.albums.slice(offset, offset + take);
      const hasMore = offset + page.length < user.albums.length;
      return {
        albums: page.map((a) => ({
          aid: a.aid,
          title: a.title,
          photos_count: user.photos.filter((ph) => ph.album_id === a.aid).length,
          created: '2020-01-01',
        })),
        hasMore,
        pagingAnchor: anchorFor(scope, offset + page.length),
      };
    },
    // The token's owner; OK's reply carries more (gender, locale, pic_*), of which Ferry reads uid and name.
    'users.getCurrentUser': (_p, owner) => {
      const user = users.find((u) => u.uid === owner)!;
      const [first_name, ...last] = user.name.split(' ');
      return { uid: user.uid, first_name, last_name: last.join(' '), name: user.name, locale: 'ru' };
    },
  };

  function checkFlood(token: string) {
    const now = Date.now();
    const times = (recent.get(token) ?? []).filter((t) => now - t < 1000);
    times.push(now);
    recent.set(token, times);
    if (times.length > (options.floodPerSecond ?? 5)) throw new OkError(8, 'Call blocked due to flood protection');
  }

  function answer(params: Record<string, string>): unknown {
    if (!params.application_key) throw new OkError(101, 'No application key');
    if (params.application_key !== applicationKey) throw new OkError(101, 'Unknown application key');
    if (!params.sig) throw new OkError(104, 'No signature specified');
    if (params.format !== undefined && !/^json$/i.test(params.format)) throw new OkError(100, 'Unsupported format');
    const method = params.method;
    const handler = method ? methods[method] : undefined;
    if (!method || !handler) throw new OkError(3, `Method ${method ?? ''} does not exist`);
    const token = params.access_token;
    if (!token) throw new OkError(453, 'Session required');
    if (!verifyOkSignature(params, applicationSecretKey)) throw new OkError(104, 'Invalid signature');
    if (expired.has(token) || (expiresAt.get(token) ?? Infinity) <= Date.now())
      throw new OkError(102, 'Session expired');
    const owner = tokens[token];
    if (!owner) throw new OkError(103, 'Invalid session key');
    checkFlood(token);
    const fault = injected.find((f) => f.method === method && f.times > 0);
    if (fault) {
      fault.times -= 1;
      throw new OkError(fault.code, fault.code === 8 ? 'Call blocked due to flood protection' : 'Injected fault');
    }
    return handler(params, owner);
  }

  const server = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/getImage') return cdn.serve(req, res, url);
    if (url.pathname !== '/fb.do' || (req.method !== 'GET' && req.method !== 'POST')) {
      res.writeHead(404).end();
      return;
    }
    const params: Record<string, string> = Object.fromEntries(url.searchParams);
    if (req.method === 'POST') {
      Object.assign(params, Object.fromEntries(new URLSearchParams((await readBody(req)).toString('utf8'))));
    }
    const call: OkCall = {
      method: params.method ?? '',
      http: req.method,
      params: { ...params, ...(params.access_token && { access_token: '[redacted]' }) },
    };
    calls.push(call);
    try {
      sendJson(res, 200, answer(params), { 'content-type': 'application/json;charset=utf-8' });
    } catch (err) {
      const code = err instanceof OkError ? err.code : 1;
      call.errorCode = code;
      const body = {
        error_code: code,
        error_msg: err instanceof OkError ? err.message : 'UNKNOWN : fake crashed',
        error_data: null,
      };
      sendJson(res, 200, body, { 'content-type': 'application/json;charset=utf-8' });
    }
  });
  cdn.base = server.url;

  return {
    apiUrl: `${server.url}/fb.do`,
    applicationKey,
    applicationSecretKey,
    validToken,
    expiredToken,
    issueToken(uid, seconds) {
      const token = `-s-${randomBytes(18).toString('base64url')}`;
      tokens[token] = uid;
      expiresAt.set(token, Date.now() + seconds * 1000);
      return token;
    },
    expireToken: (token) => void expired.add(token),
    users,
    calls,
    fileRequests: cdn.requests,
    failNext: (method, code, times = 1) => injected.push({ method, code, times }),
    failFile: cdn.failFile,
    fileBytes: cdn.fileBytes,
    close: () => server.close(),
  };
}
