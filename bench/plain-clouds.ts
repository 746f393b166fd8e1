// The plain copier's two clouds, over node:http with keep-alive and nothing else: the fewest requests a
// careful copier needs, none of Ferry's bookkeeping (no plan, no checkpoints, no tags, no retries).
//   Drive: per folder one lookup (+ a create) and one listing page per 1,000 names; per file ONE
//          multipart upload whose answer carries the md5 that verifies it.
//   Yandex: per folder one mkdir and one listing page per 1,000 names; per file the upload link, the
//          PUT and the metadata read that proves the md5 (read again while Yandex still finalises).
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Agent, request, type IncomingMessage } from 'node:http';

const FOLDER_MIME = 'application/vnd.google-apps.folder';
const PAGE = 1000;

export interface PlainItem {
  relPath: string;
  sourceUrl: string;
}

interface PlainCloud {
  /** The folder at `relDir` under the root ('' = the root), created when missing; once per folder. */
  folder(relDir: string): Promise<string>;
  /** Names already in the folder (one listing); once per folder. */
  present(folder: string): Promise<Set<string>>;
  /** Streams the source into the folder as `name`; resolves once the cloud's md5 matched the bytes. */
  upload(folder: string, name: string, source: IncomingMessage): Promise<void>;
}

export function httpAgent(sockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: sockets });
}

interface Reply {
  status: number;
  json: Record<string, unknown>;
}

/** One request; `body` a string, or a writer that streams it. */
function call(
  agent: Agent,
  method: string,
  url: string,
  headers: Record<string, string | number>,
  body?: string | ((req: ReturnType<typeof request>) => Promise<void>),
): Promise<Reply> {
  return new Promise<Reply>((ok, fail) => {
    const req = request(url, { method, headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('error', fail);
      res.on('end', () =>
        ok({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} }),
      );
    });
    req.on('error', fail);
    if (typeof body === 'function') body(req).then(() => req.end(), fail);
    else req.end(body);
  });
}

const expectStatus = (r: Reply, ok: number[], what: string) => {
  if (!ok.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
  return r;
};

/** Writes the source into `req`, hashing it on the way; returns the md5. */
async function streamHashed(source: IncomingMessage, req: ReturnType<typeof request>): Promise<string> {
  const md5 = createHash('md5');
  for await (const chunk of source) {
    md5.update(chunk as Buffer);
    if (!req.write(chunk)) await once(req, 'drain');
  }
  return md5.digest('hex');
}

const memo = <T>(fn: (key: string) => Promise<T>) => {
  const cache = new Map<string, Promise<T>>();
  return (key: string) => {
    let p = cache.get(key);
    if (!p) cache.set(key, (p = fn(key)));
    return p;
  };
};

const qLiteral = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const parentDir = (relDir: string) => relDir.split('/').slice(0, -1).join('/');
const baseName = (relDir: string) => relDir.split('/').at(-1)!;

function plainDrive(apiUrl: string, accessToken: string, rootFolder: string, agent: Agent): PlainCloud {
  const auth = { authorization: `Bearer ${accessToken}` };
  const list = async (q: string, fields: string) => {
    const files: Array<Record<string, string>> = [];
    let pageToken = '';
    do {
      const query = new URLSearchParams({ q, fields: `nextPageToken,files(${fields})`, pageSize: String(PAGE) });
      if (pageToken) query.set('pageToken', pageToken);
      const r = expectStatus(await call(agent, 'GET', `${apiUrl}/drive/v3/files?${query}`, auth), [200], 'files.list');
      files.push(...(r.json.files as Array<Record<string, string>>));
      pageToken = (r.json.nextPageToken as string | undefined) ?? '';
    } while (pageToken);
    return files;
  };
  const folder: (relDir: string) => Promise<string> = memo(async (relDir) => {
    const parent = relDir ? await folder(parentDir(relDir)) : 'root';
    const name = relDir ? baseName(relDir) : rootFolder;
    const q = `name = ${qLiteral(name)} and ${qLiteral(parent)} in parents and mimeType = '${FOLDER_MIME}' and trashed = false`;
    const [found] = await list(q, 'id');
    if (found) return found.id!;
    const body = JSON.stringify({ name, mimeType: FOLDER_MIME, parents: [parent] });
    const headers = { ...auth, 'content-type': 'application/json; charset=UTF-8' };
    const r = await call(agent, 'POST', `${apiUrl}/drive/v3/files?fields=id`, headers, body);
    return expectStatus(r, [200], 'files.create').json.id as string;
  });
  return {
    folder,
    present: memo(
      async (id) => new Set((await list(`${qLiteral(id)} in parents and trashed = false`, 'name')).map((f) => f.name!)),
    ),
    async upload(parent, name, source) {
      const boundary = `plain${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
      const head = Buffer.from(
        `--${boundary}\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n${JSON.stringify({ name, parents: [parent] })}\r\n` +
          `--${boundary}\r\ncontent-type: ${source.headers['content-type'] ?? 'application/octet-stream'}\r\n\r\n`,
      );
      const tail = Buffer.from(`\r\n--${boundary}--`);
      const size = Number(source.headers['content-length']);
      let md5 = '';
      const r = await call(
        agent,
        'POST',
        `${apiUrl}/upload/drive/v3/files?uploadType=multipart&fields=id,md5Checksum,size`,
        {
          ...auth,
          'content-type': `multipart/related; boundary=${boundary}`,
          'content-length': head.length + size + tail.length,
        },
        async (req) => {
          req.write(head);
          md5 = await streamHashed(source, req);
          req.write(tail);
        },
      );
      expectStatus(r, [200], 'upload (multipart)');
      if (r.json.md5Checksum !== md5)
        throw new Error(`${name}: Drive has md5 ${String(r.json.md5Checksum)}, sent ${md5}`);
    },
  };
}

function plainYandex(apiUrl: string, token: string, rootFolder: string, agent: Agent): PlainCloud {
  const auth = { authorization: `OAuth ${token}` };
  const url = (path: string, query: Record<string, string>) => `${apiUrl}${path}?${new URLSearchParams(query)}`;
  const folder: (relDir: string) => Promise<string> = memo(async (relDir) => {
    if (relDir) await folder(parentDir(relDir));
    const path = `disk:/${rootFolder}${relDir ? `/${relDir}` : ''}`;
    expectStatus(await call(agent, 'PUT', url('/resources', { path }), auth), [201, 409], 'mkdir');
    return path;
  });
  const meta = async (path: string) =>
    expectStatus(await call(agent, 'GET', url('/resources', { path, fields: 'md5,size' }), auth), [200], 'meta').json;
  return {
    folder,
    present: memo(async (path) => {
      const names = new Set<string>();
      for (let offset = 0; ; offset += PAGE) {
        const query = {
          path,
          limit: String(PAGE),
          offset: String(offset),
          fields: '_embedded.items.name,_embedded.total',
        };
        const r = expectStatus(await call(agent, 'GET', url('/resources', query), auth), [200], 'listing');
        const page = r.json._embedded as { items: Array<{ name: string }>; total: number };
        for (const i of page.items) names.add(i.name);
        if (offset + PAGE >= page.total) return names;
      }
    }),
    async upload(parent, name, source) {
      const path = `${parent}/${name}`;
      const link = expectStatus(
        await call(agent, 'GET', url('/resources/upload', { path }), auth),
        [200],
        'upload link',
      );
      let md5 = '';
      const put = await call(
        agent,
        'PUT',
        link.json.href as string,
        { 'content-length': Number(source.headers['content-length']) },
        async (req) => {
          md5 = await streamHashed(source, req);
        },
      );
      expectStatus(put, [201, 202], 'upload PUT');
      // Yandex finalises asynchronously: the md5 shows in the metadata once the upload is stored.
      for (let wait = 0; ; wait = Math.min(200, wait + 25)) {
        if (wait) await new Promise((r) => setTimeout(r, wait));
        const m = await meta(path);
        if (m.md5 === undefined) continue;
        if (m.md5 !== md5) throw new Error(`${path}: Yandex has md5 ${String(m.md5)}, sent ${md5}`);
        return;
      }
    },
  };
}

export function plainCloud(cloud: 'drive' | 'yandex', apiUrl: string, token: string, rootFolder: string, agent: Agent) {
  return cloud === 'drive'
    ? plainDrive(apiUrl, token, rootFolder, agent)
    : plainYandex(apiUrl, token, rootFolder, agent);
}
