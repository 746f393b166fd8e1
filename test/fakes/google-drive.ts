// A Drive v3 stand-in that the real `googleapis` client runs against unmodified: files create/list(q)/
// get/update/delete with `fields` and paging, and uploads under /upload/drive/v3/files — media,
// multipart/related, and the resumable protocol (session URI in Location, Content-Range chunks, 308 +
// Range, status query `bytes */N`, 404 for an expired session). Auth: Bearer tokens checked against the
// Google OAuth fake. Errors are Google's JSON. Fault injection and inspection for tests.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { compileQuery, QueryError, selectFields } from './drive-query';
import { FaultInjector, type Fault } from './faults';
import { listen, queryObject, readBody, sendJson, sleep } from './http-kit';

export const FOLDER_MIME = 'application/vnd.google-apps.folder';
const CHUNK_UNIT = 256 * 1024;

export interface DriveFile {
  id: string;
  name: string;
  mimeType: string;
  parents: string[];
  trashed: boolean;
  appProperties: Record<string, string>;
  size?: number;
  md5?: string;
  createdTime: string;
  modifiedTime: string;
  content?: Buffer;
}

interface Session {
  id: string;
  meta: Partial<DriveFile>;
  fields?: string;
  total?: number;
  received: number;
  bytesIn: number;
  hash: Hash;
  chunks: Buffer[];
  expired: boolean;
  fileId?: string;
}

export interface DriveFakeOptions {
  port?: number;
  /** Checks Bearer tokens (the Google OAuth fake); without it any non-empty token passes. */
  oauth?: { validAccessToken(token: string): boolean };
  /** Keep file bytes in memory (default true; benchmarks with GiB files turn it off: md5 and size only). */
  storeContent?: boolean;
  /** Added to every request (the real Drive answers in 50–300 ms). */
  latencyMs?: number;
  /** Storage quota in bytes: an upload past it gets 403 storageQuotaExceeded. */
  quotaBytes?: number;
  seed?: number;
}

const REASONS: Record<string, [domain: string, message: string]> = {
  userRateLimitExceeded: ['usageLimits', 'User Rate Limit Exceeded'],
  rateLimitExceeded: ['usageLimits', 'Rate Limit Exceeded'],
  storageQuotaExceeded: ['usageLimits', "The user's Drive storage quota has been exceeded."],
  internalError: ['global', 'Internal Error'],
  backendError: ['global', 'Backend Error'],
  notFound: ['global', 'Not Found'],
  authError: ['global', 'Invalid Credentials'],
  invalid: ['global', 'Invalid Value'],
  badRequest: ['global', 'Bad Request'],
};
const DEFAULT_REASON: Record<number, string> = {
  400: 'badRequest',
  401: 'authError',
  403: 'userRateLimitExceeded',
  404: 'notFound',
  429: 'rateLimitExceeded',
  500: 'internalError',
  503: 'backendError',
};

export async function startDriveFake(options: DriveFakeOptions = {}) {
  const storeContent = options.storeContent ?? true;
  const files = new Map<string, DriveFile>();
  const sessions = new Map<string, Session>();
  const faults = new FaultInjector(options.seed);
  let quotaBytes = options.quotaBytes ?? Infinity;
  const now = () => new Date().toISOString();
  const rootId = `0AFakeRoot${randomBytes(6).toString('hex')}`;
  files.set(rootId, {
    id: rootId,
    name: 'My Drive',
    mimeType: FOLDER_MIME,
    parents: [],
    trashed: false,
    appProperties: {},
    createdTime: now(),
    modifiedTime: now(),
  });
  const usedBytes = () => [...files.values()].reduce((s, f) => s + (f.size ?? 0), 0);

  function googleError(
    res: ServerResponse,
    status: number,
    reason?: string,
    message?: string,
    headers: Record<string, string> = {},
  ) {
    const r = reason ?? DEFAULT_REASON[status] ?? 'internalError';
    const [domain, defaultMessage] = REASONS[r] ?? ['global', r];
    const msg = message ?? defaultMessage;
    const error: Record<string, unknown> = {
      code: status,
      message: msg,
      errors: [{ message: msg, domain, reason: r }],
    };
    if (status === 401) error.status = 'UNAUTHENTICATED';
    if (status === 401) headers = { ...headers, 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' };
    sendJson(res, status, { error }, headers);
  }

  function representation(f: DriveFile): Record<string, unknown> {
    const isFolder = f.mimeType === FOLDER_MIME;
    return {
      kind: 'drive#file',
      id: f.id,
      name: f.name,
      mimeType: f.mimeType,
      parents: f.parents,
      trashed: f.trashed,
      createdTime: f.createdTime,
      modifiedTime: f.modifiedTime,
      ...(Object.keys(f.appProperties).length ? { appProperties: f.appProperties } : {}),
      ...(isFolder ? {} : { size: String(f.size ?? 0), md5Checksum: f.md5 }),
    };
  }
  const fileJson = (f: DriveFile, fields?: string) =>
    fields
      ? selectFields(representation(f), fields)
      : { kind: 'drive#file', id: f.id, name: f.name, mimeType: f.mimeType };

  /** Validates and stores a new file; an error says how Drive would refuse it. */
  function store(
    meta: Partial<DriveFile>,
    content?: { size: number; md5: string; bytes?: Buffer },
  ): DriveFile | { status: number; reason: string; message?: string } {
    const parents = (meta.parents?.length ? meta.parents : ['root']).map((p) => (p === 'root' ? rootId : p));
    for (const p of parents) {
      const parent = files.get(p);
      if (!parent || parent.mimeType !== FOLDER_MIME)
        return { status: 404, reason: 'notFound', message: `File not found: ${p}.` };
    }
    if (content && usedBytes() + content.size > quotaBytes) return { status: 403, reason: 'storageQuotaExceeded' };
    const id = `1Fake${randomBytes(12).toString('base64url')}`;
    const f: DriveFile = {
      id,
      name: meta.name ?? 'Untitled',
      mimeType: meta.mimeType ?? (content ? 'application/octet-stream' : FOLDER_MIME),
      parents,
      trashed: false,
      appProperties: { ...(meta.appProperties ?? {}) },
      createdTime: now(),
      modifiedTime: now(),
      ...(content ? { size: content.size, md5: content.md5, content: storeContent ? content.bytes : undefined } : {}),
    };
    if (!content && f.mimeType !== FOLDER_MIME) f.size = 0;
    files.set(id, f);
    return f;
  }

  /** store(), answering Drive's error when it refuses. */
  function create(
    res: ServerResponse,
    meta: Partial<DriveFile>,
    content?: { size: number; md5: string; bytes?: Buffer },
  ) {
    const out = store(meta, content);
    if ('id' in out) return out;
    googleError(res, out.status, out.reason, out.message);
    return undefined;
  }

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const q = queryObject(url);
    const entry = faults.record({ method: req.method ?? '', path: url.pathname, query: q, bytesIn: 0, at: Date.now() });
    res.on('finish', () => (entry.status = res.statusCode));
    if (options.latencyMs) await sleep(options.latencyMs);
    let bodyFault: Fault | undefined;
    for (const f of faults.pick(req, url)) {
      entry.fault = f.kind;
      if (f.kind === 'delay') await sleep(f.ms);
      else if (f.kind === 'drop' && !f.afterBytes) return void req.socket.destroy();
      else if (f.kind === 'status') {
        const headers: Record<string, string> =
          f.retryAfter !== undefined ? { 'retry-after': String(f.retryAfter) } : {};
        return googleError(res, f.status, f.reason, f.message, headers);
      } else bodyFault = f;
    }
    const path = url.pathname;
    const uploadId = q.upload_id;

    // The session URI is the credential for its chunks, as with Google.
    if (!(uploadId && path === '/upload/drive/v3/files')) {
      const auth = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (!auth)
        return googleError(
          res,
          401,
          'required',
          'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        );
      if (options.oauth && !options.oauth.validAccessToken(auth))
        return googleError(
          res,
          401,
          'authError',
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        );
    }

    if (path === '/upload/drive/v3/files') {
      if (uploadId) return resumableChunk(req, res, uploadId, bodyFault, entry);
      if (req.method !== 'POST') return googleError(res, 405, 'badRequest', 'Method not allowed');
      if (q.uploadType === 'resumable') return startSession(req, res, q);
      if (q.uploadType === 'multipart' || q.uploadType === 'media') return simpleUpload(req, res, q, bodyFault, entry);
      return googleError(res, 400, 'invalid', `Invalid value for uploadType: ${q.uploadType ?? ''}`);
    }
    if (path === '/drive/v3/files') {
      if (req.method === 'GET') return list(res, q);
      if (req.method === 'POST') {
        const meta = JSON.parse((await readBody(req)).toString('utf8') || '{}') as Partial<DriveFile>;
        const f = create(
          res,
          { ...meta, mimeType: meta.mimeType ?? 'application/octet-stream' },
          meta.mimeType === FOLDER_MIME
            ? undefined
            : { size: 0, md5: createHash('md5').digest('hex'), bytes: Buffer.alloc(0) },
        );
        if (f) sendJson(res, 200, fileJson(f, q.fields));
        return;
      }
    }
    const m = /^\/drive\/v3\/files\/([^/]+)$/.exec(path);
    if (m) {
      const id = decodeURIComponent(m[1]!) === 'root' ? rootId : decodeURIComponent(m[1]!);
      const f = files.get(id);
      if (!f) return googleError(res, 404, 'notFound', `File not found: ${id}.`);
      if (req.method === 'GET' && q.alt === 'media') {
        const body = f.content ?? Buffer.alloc(0);
        res.writeHead(200, { 'content-type': f.mimeType, 'content-length': body.length });
        return void res.end(body);
      }
      if (req.method === 'GET') return sendJson(res, 200, fileJson(f, q.fields));
      if (req.method === 'DELETE') {
        for (const c of files.values()) if (c.parents.includes(id)) files.delete(c.id);
        files.delete(id);
        return void res.writeHead(204).end();
      }
      if (req.method === 'PATCH') {
        const patch = JSON.parse((await readBody(req)).toString('utf8') || '{}') as Partial<DriveFile> & {
          appProperties?: Record<string, string | null>;
        };
        if (patch.name !== undefined) f.name = patch.name;
        if (patch.trashed !== undefined) f.trashed = patch.trashed;
        for (const [k, v] of Object.entries(patch.appProperties ?? {})) {
          if (v === null) delete f.appProperties[k];
          else f.appProperties[k] = v;
        }
        if (q.addParents) f.parents.push(...q.addParents.split(','));
        if (q.removeParents) f.parents = f.parents.filter((p) => !q.removeParents!.split(',').includes(p));
        f.modifiedTime = now();
        return sendJson(res, 200, fileJson(f, q.fields));
      }
    }
    return googleError(res, 404, 'notFound', `No route ${req.method} ${path}`);
  };

  function list(res: ServerResponse, q: Record<string, string>) {
    let pred: (f: DriveFile) => boolean = () => true;
    if (q.q) {
      try {
        pred = compileQuery(q.q.replace(/'root' in parents/g, `'${rootId}' in parents`));
      } catch (e) {
        if (e instanceof QueryError) return googleError(res, 400, 'invalid', 'Invalid Value');
        throw e;
      }
    }
    const pageSize = Math.min(Math.max(Number(q.pageSize ?? 100) || 100, 1), 1000);
    const offset = q.pageToken ? Number(Buffer.from(q.pageToken, 'base64url').toString()) : 0;
    const all = [...files.values()].filter((f) => f.id !== rootId && pred(f));
    const page = all.slice(offset, offset + pageSize);
    const body: Record<string, unknown> = {
      kind: 'drive#fileList',
      incompleteSearch: false,
      files: page.map(representation),
    };
    if (offset + pageSize < all.length)
      body.nextPageToken = Buffer.from(String(offset + pageSize)).toString('base64url');
    const fields = q.fields ?? 'kind,incompleteSearch,nextPageToken,files(kind,id,name,mimeType)';
    sendJson(res, 200, selectFields(body, fields));
  }

  async function simpleUpload(
    req: IncomingMessage,
    res: ServerResponse,
    q: Record<string, string>,
    fault: Fault | undefined,
    entry: { bytesIn: number },
  ) {
    const got = await receive(req, fault);
    entry.bytesIn = got.bytesIn;
    if (!got.complete) return;
    let meta: Partial<DriveFile>;
    let bytes = got.body;
    if (q.uploadType === 'multipart') {
      const boundary = /boundary=("?)([^";]+)\1/i.exec(req.headers['content-type'] ?? '')?.[2];
      const parts = boundary ? splitMultipart(got.body, boundary) : [];
      if (parts.length !== 2) return googleError(res, 400, 'badRequest', 'Malformed multipart body.');
      meta = JSON.parse(parts[0]!.toString('utf8')) as Partial<DriveFile>;
      bytes = parts[1]!;
      if (fault?.kind === 'corrupt') flip(bytes, fault.offset ?? 0);
    } else {
      meta = { mimeType: req.headers['content-type'] };
    }
    const f = create(res, meta, { size: bytes.length, md5: createHash('md5').update(bytes).digest('hex'), bytes });
    if (f) sendJson(res, 200, fileJson(f, q.fields));
  }

  async function startSession(req: IncomingMessage, res: ServerResponse, q: Record<string, string>) {
    const meta = JSON.parse((await readBody(req)).toString('utf8') || '{}') as Partial<DriveFile>;
    const declared = req.headers['x-upload-content-length'];
    const total = declared !== undefined ? Number(declared) : undefined;
    if (total !== undefined && usedBytes() + total > quotaBytes) return googleError(res, 403, 'storageQuotaExceeded');
    const id = `ABfake${randomBytes(16).toString('base64url')}`;
    const contentType = req.headers['x-upload-content-type'];
    sessions.set(id, {
      id,
      meta: { ...meta, mimeType: meta.mimeType ?? (typeof contentType === 'string' ? contentType : undefined) },
      fields: q.fields,
      total,
      received: 0,
      bytesIn: 0,
      hash: createHash('md5'),
      chunks: [],
      expired: false,
    });
    const location = `http://${req.headers.host}/upload/drive/v3/files?uploadType=resumable&upload_id=${id}`;
    res.writeHead(200, { location, 'x-guploader-uploadid': id, 'content-length': 0 }).end();
  }

  async function resumableChunk(
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
    fault: Fault | undefined,
    entry: { bytesIn: number },
  ) {
    const s = sessions.get(id);
    if (fault?.kind === 'expireSession' && s) s.expired = true;
    if (!s || s.expired) {
      await drain(req);
      return googleError(res, 404, 'notFound', 'Not Found');
    }
    const finished = () => sendJson(res, 200, fileJson(files.get(s.fileId!)!, s.fields));
    const incomplete = () => {
      const headers: Record<string, string | number> = { 'content-length': 0, 'x-guploader-uploadid': id };
      if (s.received > 0) headers.range = `bytes=0-${s.received - 1}`;
      res.writeHead(308, headers).end();
    };
    const cr = req.headers['content-range'];
    const length = Number(req.headers['content-length'] ?? 0);
    const m = cr ? /^bytes (?:\*|(\d+)-(\d+))\/(\*|\d+)$/.exec(cr) : ['', '0', String(length - 1), String(length)];
    if (!m) {
      await drain(req);
      return googleError(res, 400, 'badRequest', `Invalid Content-Range: ${cr}`);
    }
    if (m[3] !== '*') {
      const total = Number(m[3]);
      if (s.total !== undefined && s.total !== total) {
        await drain(req);
        return googleError(
          res,
          400,
          'badRequest',
          `Invalid request. The total size ${total} does not match ${s.total}.`,
        );
      }
      s.total = total;
    }
    if (s.fileId) return void (await drain(req), finished());
    if (m[1] === undefined) {
      // Status query (or an empty final request that declares the total).
      await drain(req);
      if (s.total !== undefined && s.received === s.total) return finalize(res, s, finished);
      return incomplete();
    }
    const start = Number(m[1]);
    const end = Number(m[2]);
    const isFinal = s.total !== undefined && end + 1 === s.total;
    if (start > s.received) {
      await drain(req);
      return googleError(
        res,
        400,
        'badRequest',
        `Invalid request. According to the Content-Range header, the upload offset is ${start} byte(s), which exceeds already uploaded size of ${s.received} byte(s).`,
      );
    }
    if (!isFinal && (end - start + 1) % CHUNK_UNIT !== 0) {
      await drain(req);
      return googleError(
        res,
        400,
        'badRequest',
        `Invalid request. The number of bytes uploaded is required to be equal or greater than 262144, except for the final request (it's recommended to be the exact multiple of 262144). The received request contained ${end - start + 1} bytes, which does not meet this requirement.`,
      );
    }
    // Bytes before s.received were already stored (a client re-sending an overlap): skip them.
    let skip = s.received - start;
    const got = await receive(req, fault, (buf) => {
      if (skip >= buf.length) return void (skip -= buf.length);
      const part = skip > 0 ? buf.subarray(skip) : buf;
      skip = 0;
      s.hash.update(part);
      if (storeContent) s.chunks.push(Buffer.from(part));
      s.received += part.length;
    });
    s.bytesIn += got.bytesIn;
    entry.bytesIn = got.bytesIn;
    if (!got.complete) return;
    if (got.bytesIn !== end - start + 1)
      return googleError(res, 400, 'badRequest', 'Content-Range does not match the request body length.');
    if (isFinal) return finalize(res, s, finished);
    incomplete();
  }

  function finalize(res: ServerResponse, s: Session, finished: () => void) {
    const bytes = storeContent ? Buffer.concat(s.chunks) : undefined;
    const f = create(res, s.meta, { size: s.received, md5: s.hash.copy().digest('hex'), bytes });
    if (!f) return;
    s.fileId = f.id;
    s.chunks = [];
    finished();
  }

  const server = await listen(handler, options.port ?? 0);
  return {
    /** GOOGLE_API_URL */
    url: server.url,
    rootId,
    faults,
    /** Every request, in order (method, path, query, status, body bytes read, fault fired). */
    log: faults.log,
    close: () => server.close(),
    files: () => [...files.values()].filter((f) => f.id !== rootId),
    file: (id: string) => files.get(id),
    /** Files named `name` (in `parentId` when given), trashed ones included. */
    findByName: (name: string, parentId?: string) =>
      [...files.values()].filter((f) => f.name === name && (!parentId || f.parents.includes(parentId))),
    sessions: () =>
      [...sessions.values()].map((s) => ({
        id: s.id,
        received: s.received,
        bytesIn: s.bytesIn,
        total: s.total,
        expired: s.expired,
        fileId: s.fileId,
      })),
    /** Bytes the session read from request bodies, overlaps and dropped chunks included. */
    bytesReceived: (sessionUriOrId: string) => sessions.get(sessionIdOf(sessionUriOrId))?.bytesIn ?? 0,
    /** Expires one session (or every open one): later requests on it get 404, as after a week on Drive. */
    expireSession(sessionUriOrId?: string): void {
      for (const s of sessions.values()) if (!sessionUriOrId || s.id === sessionIdOf(sessionUriOrId)) s.expired = true;
    },
    setQuota(bytes: number): void {
      quotaBytes = bytes;
    },
    /** Puts a file there directly (e.g. a user's own file that holds a name Ferry wants). */
    addFile(f: {
      name: string;
      parentId?: string;
      content?: Buffer;
      mimeType?: string;
      appProperties?: Record<string, string>;
    }): DriveFile {
      const content = f.content ?? Buffer.alloc(0);
      const isFolder = f.mimeType === FOLDER_MIME || !f.content;
      const file = store(
        {
          name: f.name,
          parents: [f.parentId ?? rootId],
          mimeType: f.mimeType ?? (isFolder ? FOLDER_MIME : 'application/octet-stream'),
          appProperties: f.appProperties,
        },
        isFolder
          ? undefined
          : { size: content.length, md5: createHash('md5').update(content).digest('hex'), bytes: content },
      );
      if (!('id' in file)) throw new Error(`addFile: ${file.reason} ${file.message ?? ''}`);
      return file;
    },
  };
}

export type DriveFake = Awaited<ReturnType<typeof startDriveFake>>;

function sessionIdOf(uriOrId: string): string {
  return uriOrId.includes('upload_id=') ? (new URL(uriOrId).searchParams.get('upload_id') ?? '') : uriOrId;
}

/** Reads a request body, applying a `drop` (after N bytes) or `corrupt` fault on the way. */
async function receive(
  req: IncomingMessage,
  fault: Fault | undefined,
  onData?: (buf: Buffer) => void,
): Promise<{ complete: boolean; bytesIn: number; body: Buffer }> {
  const keep: Buffer[] = [];
  let bytesIn = 0;
  const dropAt = fault?.kind === 'drop' ? (fault.afterBytes ?? 0) : Infinity;
  const corruptAt = fault?.kind === 'corrupt' && onData ? (fault.offset ?? 0) : -1;
  try {
    for await (const raw of req) {
      let buf = raw as Buffer;
      if (bytesIn + buf.length > dropAt) buf = buf.subarray(0, dropAt - bytesIn);
      if (corruptAt >= bytesIn && corruptAt < bytesIn + buf.length) {
        buf = Buffer.from(buf);
        flip(buf, corruptAt - bytesIn);
      }
      bytesIn += buf.length;
      if (onData) onData(buf);
      else keep.push(buf);
      if (bytesIn >= dropAt) {
        req.socket.destroy();
        return { complete: false, bytesIn, body: Buffer.alloc(0) };
      }
    }
  } catch {
    return { complete: false, bytesIn, body: Buffer.alloc(0) };
  }
  // A client that aborted mid-body ends the stream early with `aborted` set instead of throwing.
  if (!req.complete) return { complete: false, bytesIn, body: Buffer.alloc(0) };
  return { complete: true, bytesIn, body: Buffer.concat(keep) };
}

async function drain(req: IncomingMessage): Promise<void> {
  for await (const _ of req) void _;
}

function flip(buf: Buffer, offset: number): void {
  if (buf.length === 0) return;
  const i = Math.min(offset, buf.length - 1);
  buf[i] = buf[i]! ^ 0xff;
}

function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const delim = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let pos = body.indexOf(delim);
  while (pos !== -1) {
    const start = pos + delim.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delim, start);
    if (next === -1) break;
    const part = body.subarray(start, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    // Each part: CRLF, headers, blank line, content, CRLF before the next delimiter.
    let content = part.subarray(headerEnd + 4);
    if (content.subarray(-2).toString() === '\r\n') content = content.subarray(0, -2);
    parts.push(content);
    pos = next;
  }
  return parts;
}
