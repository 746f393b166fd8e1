// Drive's resumable upload sessions, server side: POST opens a session (Location: ...&upload_id=),
// PUT/POST chunks with Content-Range (every non-final chunk a multiple of 256 KiB) answered 308 + Range,
// the status query `bytes */N`, completion with the File JSON, 404 once a session expired.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { googleError } from './drive-errors';
import type { Fault } from './faults';
import { readBody, sendJson } from './http-kit';
import { drain, holdAnswer, receive } from './upload-body';

const CHUNK_UNIT = 256 * 1024;

export interface Session {
  id: string;
  meta: Partial<StoredMeta>;
  fields?: string;
  total?: number;
  received: number;
  bytesIn: number;
  hash: Hash;
  chunks: Buffer[];
  expired: boolean;
  fileId?: string;
  /** When the session was opened (ms since the epoch). */
  createdAt: number;
  /** Chunk and status requests made on the session. */
  requests: number;
}

interface StoredMeta {
  name: string;
  mimeType: string;
  parents: string[];
  appProperties: Record<string, string>;
}

export interface SessionDeps {
  storeContent: boolean;
  /**
   * Keep what arrived of a chunk whose request broke off (true, the fake's default: Drive may keep part
   * of a chunk) or only whole chunks (false: what a client must also cope with).
   */
  keepPartialChunks: boolean;
  /** Stores the finished file (answering Drive's error itself when it refuses); its id, or undefined. */
  create(
    res: ServerResponse,
    meta: Partial<StoredMeta>,
    content: { size: number; md5: string; bytes?: Buffer },
  ): { id: string } | undefined;
  /** The File JSON of a stored file, filtered by `fields`. */
  fileJson(id: string, fields?: string): unknown;
  /** Would `bytes` more exceed the storage quota? */
  overQuota(bytes: number): boolean;
}

export function createResumableSessions(deps: SessionDeps) {
  const { storeContent } = deps;
  const sessions = new Map<string, Session>();

  async function start(req: IncomingMessage, res: ServerResponse, q: Record<string, string>) {
    const meta = JSON.parse((await readBody(req)).toString('utf8') || '{}') as Partial<StoredMeta>;
    const declared = req.headers['x-upload-content-length'];
    const total = declared !== undefined ? Number(declared) : undefined;
    if (total !== undefined && deps.overQuota(total)) return googleError(res, 403, 'storageQuotaExceeded');
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
      createdAt: Date.now(),
      requests: 0,
    });
    const location = `http://${req.headers.host}/upload/drive/v3/files?uploadType=resumable&upload_id=${id}`;
    res.writeHead(200, { location, 'x-guploader-uploadid': id, 'content-length': 0 }).end();
  }

  async function chunk(
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
    fault: Fault | undefined,
    entry: { bytesIn: number },
  ) {
    const s = sessions.get(id);
    if (s) s.requests += 1;
    if (fault?.kind === 'expireSession' && s) s.expired = true;
    if (!s || s.expired) {
      await drain(req);
      return googleError(res, 404, 'notFound', 'Not Found');
    }
    const finished = () => sendJson(res, 200, deps.fileJson(s.fileId!, s.fields));
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
    const held: Buffer[] = [];
    const keep = (part: Buffer) => {
      s.hash.update(part);
      if (storeContent) s.chunks.push(Buffer.from(part));
      s.received += part.length;
    };
    const got = await receive(req, fault, (buf) => {
      if (skip >= buf.length) return void (skip -= buf.length);
      const part = skip > 0 ? buf.subarray(skip) : buf;
      skip = 0;
      if (deps.keepPartialChunks) keep(part);
      else held.push(Buffer.from(part));
    });
    s.bytesIn += got.bytesIn;
    entry.bytesIn = got.bytesIn;
    if (!got.complete) return;
    if (got.bytesIn !== end - start + 1)
      return googleError(res, 400, 'badRequest', 'Content-Range does not match the request body length.');
    held.forEach(keep);
    if (isFinal && !store(res, s)) return;
    if (!(await holdAnswer(res, fault))) return;
    if (isFinal) return finished();
    incomplete();
  }

  /** Creates the session's file from what it received; false when Drive refused (answered already). */
  function store(res: ServerResponse, s: Session): boolean {
    const bytes = storeContent ? Buffer.concat(s.chunks) : undefined;
    const f = deps.create(res, s.meta, { size: s.received, md5: s.hash.copy().digest('hex'), bytes });
    if (!f) return false;
    s.fileId = f.id;
    s.chunks = [];
    return true;
  }

  function finalize(res: ServerResponse, s: Session, finished: () => void) {
    if (store(res, s)) finished();
  }

  return { sessions, start, chunk };
}

export function sessionIdOf(uriOrId: string): string {
  return uriOrId.includes('upload_id=') ? (new URL(uriOrId).searchParams.get('upload_id') ?? '') : uriOrId;
}
