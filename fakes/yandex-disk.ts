// A Yandex Disk REST stand-in (cloud-api.yandex.net/v1/disk): resources (folders, meta with _embedded
// listing, delete, custom_properties), the two-step upload (GET /resources/upload -> href, streamed PUT
// -> 201 "stored": final at once, md5/size in meta; or, with `acceptedPuts`, 202 "accepted, not yet
// stored": asynchronous finalisation, the operation in-progress for a configurable delay, md5/size in
// meta only after success), upload from URL that really fetches the URL, `Authorization: OAuth`,
// Yandex's error JSON {message, description, error}. Fault injection and inspection for tests.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultInjector, type Fault } from './faults';
import { listen, queryObject, readJson, sendJson } from './http-kit';
import { ParentIndexedMap } from './parent-index';
import { countRequests, yandexRequestKind } from './request-counts';
import { drain, holdAnswer, receive } from './upload-body';

export interface YandexNode {
  type: 'dir' | 'file';
  path: string;
  name: string;
  created: string;
  modified: string;
  resource_id: string;
  custom_properties?: Record<string, unknown>;
  mime_type?: string;
  /** Set once the upload's operation succeeded (Yandex finalises asynchronously). */
  size?: number;
  md5?: string;
  sha256?: string;
  content?: Buffer;
}

interface Operation {
  id: string;
  status: 'in-progress' | 'success' | 'failed';
  readyAt: number;
  /** Applied when the operation turns to success. */
  finish?: () => void;
}

/** One PUT to an upload href, as the fake saw it. */
export interface YandexUpload {
  path: string;
  operationId: string;
  bytesIn: number;
  /** The body arrived in full and the file was stored. */
  stored: boolean;
  /** The 201 was sent (false while held, or when the client left first). */
  answered: boolean;
  at: number;
}

export interface YandexDiskFakeOptions {
  port?: number;
  /** Checks `OAuth <token>` (the Yandex OAuth fake); without it any non-empty token passes. */
  oauth?: { validToken(token: string): boolean };
  /** How long an upload's operation stays in-progress before success (default 200 ms). */
  operationDelayMs?: number;
  /**
   * PUTs answer 202 (accepted, not yet stored: finalised after operationDelayMs) instead of 201 (stored:
   * final at once, as api-notes document a 201).
   */
  acceptedPuts?: boolean;
  storeContent?: boolean;
  latencyMs?: number;
  quotaBytes?: number;
  seed?: number;
}

const ERRORS: Record<string, [status: number, message: string, description: string]> = {
  DiskNotFoundError: [404, 'Не удалось найти запрошенный ресурс.', 'Resource not found.'],
  UnauthorizedError: [401, 'Не авторизован.', 'Unauthorized'],
  FieldValidationError: [400, 'Ошибка проверки поля.', 'Error validating field.'],
  TooManyRequestsError: [429, 'Слишком много запросов.', 'Too Many Requests'],
  DiskResourceLockedError: [
    423,
    'Ресурс заблокирован. Возможно, над ним выполняется другая операция.',
    'Resource is locked.',
  ],
  DiskStorageQuotaExhaustedError: [507, 'Недостаточно свободного места.', 'Not enough free space.'],
  InternalServerError: [500, 'Внутренняя ошибка сервера.', 'Internal Server Error'],
  ServiceUnavailableError: [503, 'Сервис временно недоступен.', 'Service Unavailable'],
};
const ERROR_BY_STATUS: Record<number, string> = Object.fromEntries(Object.entries(ERRORS).map(([k, [s]]) => [s, k]));

/** 'disk:/A/b', '/A/b', 'A/b' -> 'disk:/A/b' (no trailing slash). */
export function diskPath(p: string): string {
  const bare = p.replace(/^disk:/, '').replace(/\/+$/, '');
  return 'disk:' + (bare.startsWith('/') ? bare : '/' + bare);
}
const parentOf = (p: string) => (p.lastIndexOf('/') <= 'disk:'.length ? 'disk:/' : p.slice(0, p.lastIndexOf('/')));

export async function startYandexDiskFake(options: YandexDiskFakeOptions = {}) {
  const storeContent = options.storeContent ?? true;
  let operationDelayMs = options.operationDelayMs ?? 200;
  let acceptedPuts = options.acceptedPuts ?? false;
  let quotaBytes = options.quotaBytes ?? Infinity;
  const nodes = new ParentIndexedMap<YandexNode>((n) => (n.path === 'disk:/' ? [] : [parentOf(n.path)]));
  const operations = new Map<string, Operation>();
  /** The operations still in progress: settling looks at these, not at every upload ever made. */
  const pending = new Set<Operation>();
  const links = new Map<string, { path: string; operationId: string; expired: boolean; overwrite: boolean }>();
  const linksIssued: Array<{ path: string; operationId: string; at: number }> = [];
  const uploads: YandexUpload[] = [];
  const faults = new FaultInjector(options.seed);
  const stamp = () => new Date().toISOString().replace(/\.\d+Z$/, '+00:00');
  const mkNode = (type: 'dir' | 'file', path: string): YandexNode => ({
    type,
    path,
    name: path === 'disk:/' ? 'disk' : path.slice(path.lastIndexOf('/') + 1),
    created: stamp(),
    modified: stamp(),
    resource_id: `${randomBytes(4).toString('hex')}:${randomBytes(32).toString('hex')}`,
  });
  nodes.set('disk:/', mkNode('dir', 'disk:/'));
  // The Trash (`trash:/…`): DELETE without permanently=true moves a resource here, and it keeps taking
  // space on the Disk until the Trash is emptied, as on Yandex.
  const trash = new Map<string, YandexNode>();
  const sizeOf = (m: Map<string, YandexNode>) => [...m.values()].reduce((s, n) => s + (n.size ?? 0), 0);
  const usedBytes = () => sizeOf(nodes) + sizeOf(trash);

  /** Moves `path` and everything under it to the Trash; a name taken there gets a suffix. */
  function moveToTrash(path: string): void {
    const top = nodes.get(path)!;
    let target = `trash:/${top.name}`;
    for (let n = 2; trash.has(target); n++) target = `trash:/${top.name}_${n}`;
    for (const [k, node] of [...nodes]) {
      if (k !== path && !k.startsWith(path + '/')) continue;
      nodes.delete(k);
      const moved = `${target}${k.slice(path.length)}`;
      trash.set(moved, { ...node, path: moved, name: k === path ? target.slice('trash:/'.length) : node.name });
    }
  }
  // Summing every file per upload is quadratic in a 50,000-file benchmark: only when there is a quota.
  const overQuota = (bytes: number) => Number.isFinite(quotaBytes) && usedBytes() + bytes > quotaBytes;
  let apiRoot = '';

  function yaError(res: ServerResponse, code: string, description?: string, headers: Record<string, string> = {}) {
    const [status, message, desc] = ERRORS[code] ?? [409, code, code];
    sendJson(res, status, { message, description: description ?? desc, error: code }, headers);
  }
  const conflict = (res: ServerResponse, error: string, description: string) =>
    sendJson(res, 409, { message: description, description, error });

  function meta(n: YandexNode, limit = 20, offset = 0): Record<string, unknown> {
    const base: Record<string, unknown> = {
      name: n.name,
      path: n.path,
      type: n.type,
      created: n.created,
      modified: n.modified,
      resource_id: n.resource_id,
      ...(n.custom_properties ? { custom_properties: n.custom_properties } : {}),
    };
    if (n.type === 'file') {
      Object.assign(base, { mime_type: n.mime_type ?? 'application/octet-stream', media_type: 'data' });
      if (n.md5 !== undefined)
        Object.assign(base, {
          size: n.size,
          md5: n.md5,
          sha256: n.sha256,
          file: `${apiRoot.replace(/\/v1\/disk$/, '')}/__download?path=${encodeURIComponent(n.path)}`,
        });
      return base;
    }
    const children = nodes.childrenOf(n.path).sort((a, b) => a.name.localeCompare(b.name));
    base._embedded = {
      items: children.slice(offset, offset + limit).map((c) => meta(c)),
      limit,
      offset,
      total: children.length,
      path: n.path,
      sort: '',
    };
    return base;
  }

  /** Operations whose delay has passed turn to success now (lazily, on the next request). */
  function settle() {
    for (const op of pending) {
      if (op.status !== 'in-progress') pending.delete(op);
      else if (op.readyAt <= Date.now() && op.finish) {
        op.status = 'success';
        op.finish();
        op.finish = undefined;
        pending.delete(op);
      }
    }
  }
  const newOperation = (finish?: () => void): Operation => {
    const op: Operation = {
      id: randomUUID().replace(/-/g, ''),
      status: 'in-progress',
      readyAt: Date.now() + operationDelayMs,
      finish,
    };
    operations.set(op.id, op);
    pending.add(op);
    return op;
  };

  /** Stores an upload's bytes; the file appears now, its md5/size when the operation succeeds. */
  function storeFile(
    path: string,
    bytes: Buffer | undefined,
    sums: { size: number; md5: string; sha256: string },
    op: Operation,
    mime?: string,
    now = false,
  ) {
    const node = mkNode('file', path);
    node.mime_type = mime;
    nodes.set(path, node);
    op.finish = () => Object.assign(node, sums, { content: bytes, modified: stamp() });
    if (now) op.readyAt = Date.now();
    if (now || operationDelayMs <= 0) settle();
  }

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const { url, entry, answered, bodyFault } = await faults.admit(
      req,
      res,
      (f, headers) => yaError(res, f.reason ?? ERROR_BY_STATUS[f.status] ?? 'InternalServerError', f.message, headers),
      { bodyFaults: true, latencyMs: options.latencyMs },
    );
    if (answered) return;
    const q = queryObject(url);
    settle();
    const route = url.pathname;

    // The upload href lives on Yandex's uploader hosts and carries its own credential.
    const up = /^\/upload-target\/([\w-]+)$/.exec(route);
    if (up && req.method === 'PUT') return receiveUpload(req, res, up[1]!, bodyFault, entry);
    if (route === '/__download') {
      const n = nodes.get(diskPath(q.path ?? ''));
      if (!n?.content) return yaError(res, 'DiskNotFoundError');
      return void res.writeHead(200, { 'content-length': n.content.length }).end(n.content);
    }

    const auth = /^OAuth (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!auth || (options.oauth && !options.oauth.validToken(auth))) return yaError(res, 'UnauthorizedError');

    if (route === '/v1/disk' && req.method === 'GET')
      return sendJson(res, 200, {
        total_space: Number.isFinite(quotaBytes) ? quotaBytes : 10 * 2 ** 40,
        used_space: usedBytes(),
        trash_size: sizeOf(trash),
        is_paid: false,
        system_folders: {},
        // Disk info names the account (a client learns whose token it holds from it).
        user: { country: 'ru', login: 'ferry.tester', display_name: 'Ferry Tester', uid: '1130000012345678' },
      });

    const op = /^\/v1\/disk\/operations\/(\w+)$/.exec(route);
    if (op && req.method === 'GET') {
      const o = operations.get(op[1]!);
      return o ? sendJson(res, 200, { status: o.status }) : yaError(res, 'DiskNotFoundError', 'Operation not found.');
    }

    if (!q.path && route.startsWith('/v1/disk/resources'))
      return yaError(res, 'FieldValidationError', 'Error validating field "path": This field is required.');
    const path = diskPath(q.path ?? '/');

    if (route === '/v1/disk/resources') {
      const n = nodes.get(path);
      if (req.method === 'GET') {
        if (!n) return yaError(res, 'DiskNotFoundError');
        return sendJson(res, 200, meta(n, Number(q.limit ?? 20), Number(q.offset ?? 0)));
      }
      if (req.method === 'PUT') {
        if (n?.type === 'dir')
          return conflict(
            res,
            'DiskPathPointsToExistentDirectoryError',
            `Specified path "${path}" points to existent directory.`,
          );
        if (n) return conflict(res, 'DiskResourceAlreadyExistsError', `Resource "${path}" already exists.`);
        if (nodes.get(parentOf(path))?.type !== 'dir')
          return conflict(res, 'DiskPathDoesntExistsError', `Specified path "${path}" doesn't exists.`);
        nodes.set(path, mkNode('dir', path));
        return sendJson(res, 201, {
          href: `${apiRoot}/resources?path=${encodeURIComponent(path)}`,
          method: 'GET',
          templated: false,
        });
      }
      if (req.method === 'DELETE') {
        if (!n || path === 'disk:/') return yaError(res, 'DiskNotFoundError');
        const nonEmptyDir = n.type === 'dir' && [...nodes.keys()].some((k) => k.startsWith(path + '/'));
        if (q.permanently === 'true') {
          for (const k of [...nodes.keys()]) if (k === path || k.startsWith(path + '/')) nodes.delete(k);
        } else {
          moveToTrash(path);
        }
        // A file or an empty folder goes at once (204); a folder with content asynchronously (202).
        if (!nonEmptyDir) return void res.writeHead(204).end();
        const operation = newOperation(() => undefined);
        return sendJson(res, 202, { href: `${apiRoot}/operations/${operation.id}`, method: 'GET', templated: false });
      }
      if (req.method === 'PATCH') {
        if (!n) return yaError(res, 'DiskNotFoundError');
        const body = (await readJson(req)) as { custom_properties?: Record<string, unknown> };
        if (!body.custom_properties || typeof body.custom_properties !== 'object')
          return yaError(
            res,
            'FieldValidationError',
            'Error validating field "custom_properties": This field is required.',
          );
        const props = { ...(n.custom_properties ?? {}) };
        for (const [k, v] of Object.entries(body.custom_properties)) {
          if (v === null) delete props[k];
          else props[k] = v;
        }
        n.custom_properties = props;
        return sendJson(res, 200, meta(n));
      }
    }

    if (route === '/v1/disk/resources/upload') {
      const n = nodes.get(path);
      if (n && !(req.method === 'GET' && q.overwrite === 'true'))
        return conflict(res, 'DiskResourceAlreadyExistsError', `Resource "${path}" already exists.`);
      if (nodes.get(parentOf(path))?.type !== 'dir')
        return conflict(res, 'DiskPathDoesntExistsError', `Specified path "${path}" doesn't exists.`);
      if (req.method === 'GET') {
        const operation = newOperation();
        const linkId = randomBytes(16).toString('hex');
        links.set(linkId, { path, operationId: operation.id, expired: false, overwrite: q.overwrite === 'true' });
        linksIssued.push({ path, operationId: operation.id, at: Date.now() });
        const host = `http://${req.headers.host}`;
        return sendJson(res, 200, {
          operation_id: operation.id,
          href: `${host}/upload-target/${linkId}`,
          method: 'PUT',
          templated: false,
        });
      }
      if (req.method === 'POST' && q.url) {
        const operation = newOperation();
        void fetchInto(q.url, path, operation);
        return sendJson(res, 202, { href: `${apiRoot}/operations/${operation.id}`, method: 'GET', templated: false });
      }
    }
    return yaError(res, 'DiskNotFoundError', `No route ${req.method} ${route}`);
  };

  async function receiveUpload(
    req: IncomingMessage,
    res: ServerResponse,
    linkId: string,
    fault: Fault | undefined,
    entry: { bytesIn: number },
  ) {
    const link = links.get(linkId);
    if (link && fault?.kind === 'expireSession') link.expired = true;
    if (!link || link.expired) {
      await drain(req);
      return void res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
    }
    const upload: YandexUpload = {
      path: link.path,
      operationId: link.operationId,
      bytesIn: 0,
      stored: false,
      answered: false,
      at: Date.now(),
    };
    uploads.push(upload);
    const md5 = createHash('md5');
    const sha = createHash('sha256');
    const keep: Buffer[] = [];
    const got = await receive(req, fault, (buf) => {
      md5.update(buf);
      sha.update(buf);
      if (storeContent) keep.push(buf);
      upload.bytesIn += buf.length;
    });
    entry.bytesIn = got.bytesIn;
    if (!got.complete) return;
    const size = got.bytesIn;
    if (overQuota(size)) return yaError(res, 'DiskStorageQuotaExhaustedError');
    if (link.overwrite) nodes.delete(link.path);
    if (nodes.has(link.path))
      return conflict(res, 'DiskResourceAlreadyExistsError', `Resource "${link.path}" already exists.`);
    const op = operations.get(link.operationId)!;
    op.readyAt = Date.now() + operationDelayMs;
    links.delete(linkId);
    // 201: stored, final now; 202: accepted, finalised when the operation succeeds.
    const accepted = acceptedPuts;
    storeFile(
      link.path,
      storeContent ? Buffer.concat(keep) : undefined,
      { size, md5: md5.digest('hex'), sha256: sha.digest('hex') },
      op,
      req.headers['content-type'],
      !accepted,
    );
    upload.stored = true;
    if (!(await holdAnswer(res, fault))) return;
    res.writeHead(accepted ? 202 : 201, { 'content-length': 0 }).end();
    upload.answered = true;
  }

  /** Upload from URL: Yandex's servers fetch the URL themselves; a failed fetch fails the operation. */
  async function fetchInto(source: string, path: string, op: Operation) {
    try {
      const resp = await fetch(source);
      if (!resp.ok || !resp.body) throw new Error(`source answered ${resp.status}`);
      const md5 = createHash('md5');
      const sha = createHash('sha256');
      const keep: Buffer[] = [];
      let size = 0;
      for await (const chunk of resp.body) {
        const buf = Buffer.from(chunk);
        size += buf.length;
        md5.update(buf);
        sha.update(buf);
        if (storeContent) keep.push(buf);
      }
      if (overQuota(size) || nodes.has(path)) throw new Error('cannot store');
      op.readyAt = Date.now() + operationDelayMs;
      storeFile(
        path,
        storeContent ? Buffer.concat(keep) : undefined,
        { size, md5: md5.digest('hex'), sha256: sha.digest('hex') },
        op,
        resp.headers.get('content-type') ?? undefined,
      );
    } catch {
      op.status = 'failed';
    }
  }

  const server = await listen(handler, options.port ?? 0);
  apiRoot = `${server.url}/v1/disk`;
  return {
    /** YANDEX_DISK_API_URL */
    url: apiRoot,
    faults,
    log: faults.log,
    /** Every request answered so far, by kind (upload link, upload PUT, resources meta, …). */
    requestCounts: () => countRequests(faults.log, yandexRequestKind),
    close: () => server.close(),
    /** Every file and folder (settled: operations due by now have succeeded). */
    nodes: () => (settle(), [...nodes.values()].filter((n) => n.path !== 'disk:/')),
    node: (p: string) => (settle(), nodes.get(diskPath(p))),
    /** What is in the Trash (`trash:/<name>`), e.g. a removed file that can still be restored. */
    trashed: () => [...trash.values()],
    operations: () => [...operations.values()].map(({ id, status }) => ({ id, status })),
    /** Every upload link handed out (GET /resources/upload), in order. */
    linksIssued: () => linksIssued.map((l) => ({ ...l })),
    /** Every PUT to an upload href, in order: its target path, bytes read, whether it stored the file. */
    uploads: () => uploads.map((u) => ({ ...u })),
    /** Slows every PUT to an upload href by `ms` before it is handled. */
    slowUploads: (ms: number) =>
      faults.add({ method: 'PUT', path: '/upload-target/', times: Infinity, fault: { kind: 'delay', ms } }),
    setOperationDelay(ms: number): void {
      operationDelayMs = ms;
    },
    /** PUTs answer 202 and finalise asynchronously (true) or 201, final at once (false). */
    setAcceptedPuts(on: boolean): void {
      acceptedPuts = on;
    },
    setQuota(bytes: number): void {
      quotaBytes = bytes;
    },
    /** Expires every open upload link: a PUT on it gets 404. */
    expireUploadLinks(): void {
      for (const l of links.values()) l.expired = true;
    },
    /** Puts a file (or, without content, a folder) there directly, finalised at once. */
    addFile(p: string, content?: Buffer, customProperties?: Record<string, unknown>): YandexNode {
      const path = diskPath(p);
      const n = mkNode(content ? 'file' : 'dir', path);
      if (content)
        Object.assign(n, {
          size: content.length,
          md5: createHash('md5').update(content).digest('hex'),
          sha256: createHash('sha256').update(content).digest('hex'),
          content,
        });
      if (customProperties) n.custom_properties = customProperties;
      nodes.set(path, n);
      return n;
    },
  };
}

export type YandexDiskFake = Awaited<ReturnType<typeof startYandexDiskFake>>;
