// A Drive v3 stand-in that the real `googleapis` client runs against unmodified: files create/list(q)/
// get/update/delete with `fields` and paging, and uploads under /upload/drive/v3/files — media,
// multipart/related, and the resumable protocol (session URI in Location, Content-Range chunks, 308 +
// Range, status query `bytes */N`, 404 for an expired session). Auth: Bearer tokens checked against the
// Google OAuth fake. Errors are Google's JSON. Fault injection and inspection for tests.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { googleError } from './drive-errors';
import { compileQuery, QueryError, requiredParent, selectFields } from './drive-query';
import { createResumableSessions, sessionIdOf } from './drive-resumable';
import { FaultInjector, type Fault } from './faults';
import { listen, queryObject, readBody, sendJson } from './http-kit';
import { ParentIndexedMap } from './parent-index';
import { countRequests, driveRequestKind } from './request-counts';
import { flip, holdAnswer, receive, splitMultipart } from './upload-body';

export const FOLDER_MIME = 'application/vnd.google-apps.folder';

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

/** One simple (media / multipart) upload request, as the fake saw it. */
export interface SimpleUpload {
  name?: string;
  bytesIn: number;
  /** The file was created from it. */
  stored: boolean;
  /** Its answer was sent (false while held, or when the client left first). */
  answered: boolean;
  at: number;
}

export const DRIVE_UPLOAD_PATH = '/upload/drive/v3/files';

export interface DriveFakeOptions {
  port?: number;
  /** Checks Bearer tokens (the Google OAuth fake); without it any non-empty token passes. */
  oauth?: { validAccessToken(token: string): boolean };
  /** Keep file bytes in memory (default true; benchmarks with GiB files turn it off: md5 and size only). */
  storeContent?: boolean;
  /** Added to every request (the real Drive answers in 50–300 ms). */
  latencyMs?: number;
  /** Keep the received part of a chunk whose request broke off (default true); false keeps whole chunks only. */
  keepPartialChunks?: boolean;
  /** Storage quota in bytes: an upload past it gets 403 storageQuotaExceeded. */
  quotaBytes?: number;
  seed?: number;
}

export async function startDriveFake(options: DriveFakeOptions = {}) {
  const storeContent = options.storeContent ?? true;
  const files = new ParentIndexedMap<DriveFile>((f) => f.parents);
  const faults = new FaultInjector(options.seed);
  const simpleUploads: SimpleUpload[] = [];
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
  // Summing every file per upload is quadratic in a 50,000-file benchmark: only when there is a quota.
  const overQuota = (bytes: number) => Number.isFinite(quotaBytes) && usedBytes() + bytes > quotaBytes;

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
    if (content && overQuota(content.size)) return { status: 403, reason: 'storageQuotaExceeded' };
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
    const { url, entry, answered, bodyFault } = await faults.admit(
      req,
      res,
      (f, headers) => googleError(res, f.status, f.reason, f.message, headers),
      { bodyFaults: true, latencyMs: options.latencyMs },
    );
    if (answered) return;
    const q = queryObject(url);
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
      if (uploadId) return resumable.chunk(req, res, uploadId, bodyFault, entry);
      if (req.method !== 'POST') return googleError(res, 405, 'badRequest', 'Method not allowed');
      if (q.uploadType === 'resumable') return resumable.start(req, res, q);
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
        if (q.addParents || q.removeParents) files.set(f.id, f); // re-reads its parents
        f.modifiedTime = now();
        return sendJson(res, 200, fileJson(f, q.fields));
      }
    }
    return googleError(res, 404, 'notFound', `No route ${req.method} ${path}`);
  };

  function list(res: ServerResponse, q: Record<string, string>) {
    let pred: (f: DriveFile) => boolean = () => true;
    let parent: string | undefined;
    if (q.q) {
      const query = q.q.replace(/'root' in parents/g, `'${rootId}' in parents`);
      try {
        pred = compileQuery(query);
        parent = requiredParent(query);
      } catch (e) {
        if (e instanceof QueryError) return googleError(res, 400, 'invalid', 'Invalid Value');
        throw e;
      }
    }
    const pageSize = Math.min(Math.max(Number(q.pageSize ?? 100) || 100, 1), 1000);
    const offset = q.pageToken ? Number(Buffer.from(q.pageToken, 'base64url').toString()) : 0;
    const all = (parent ? files.childrenOf(parent) : [...files.values()]).filter((f) => f.id !== rootId && pred(f));
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
    const upload: SimpleUpload = { bytesIn: 0, stored: false, answered: false, at: Date.now() };
    simpleUploads.push(upload);
    const got = await receive(req, fault, undefined, (n) => (upload.bytesIn = n));
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
    upload.name = meta.name;
    const f = create(res, meta, { size: bytes.length, md5: createHash('md5').update(bytes).digest('hex'), bytes });
    if (!f) return;
    upload.stored = true;
    if (!(await holdAnswer(res, fault))) return;
    sendJson(res, 200, fileJson(f, q.fields));
    upload.answered = true;
  }

  const resumable = createResumableSessions({
    storeContent,
    keepPartialChunks: options.keepPartialChunks ?? true,
    create,
    fileJson: (id, fields) => fileJson(files.get(id)!, fields),
    overQuota,
  });
  const { sessions } = resumable;

  const server = await listen(handler, options.port ?? 0);
  return {
    /** GOOGLE_API_URL */
    url: server.url,
    rootId,
    faults,
    /** Every request, in order (method, path, query, status, body bytes read, fault fired). */
    log: faults.log,
    /** Every request answered so far, by kind (files.list, upload (multipart), files.update, …). */
    requestCounts: () => countRequests(faults.log, driveRequestKind),
    close: () => server.close(),
    files: () => [...files.values()].filter((f) => f.id !== rootId),
    file: (id: string) => files.get(id),
    /** Files named `name` (in `parentId` when given), trashed ones included. */
    findByName: (name: string, parentId?: string) =>
      [...files.values()].filter((f) => f.name === name && (!parentId || f.parents.includes(parentId))),
    sessions: () =>
      [...sessions.values()].map((s) => ({
        id: s.id,
        name: s.meta.name,
        received: s.received,
        bytesIn: s.bytesIn,
        total: s.total,
        expired: s.expired,
        fileId: s.fileId,
        createdAt: s.createdAt,
        requests: s.requests,
      })),
    /** Every media / multipart upload request, in order: the name it carried, its bytes, whether it stored a file. */
    simpleUploads: () => simpleUploads.map((u) => ({ ...u })),
    /** Slows every upload request (session start, chunk, media, multipart) by `ms` before it is handled. */
    slowUploads: (ms: number) => faults.add({ path: DRIVE_UPLOAD_PATH, times: Infinity, fault: { kind: 'delay', ms } }),
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
