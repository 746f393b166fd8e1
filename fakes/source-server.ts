// A fake source file server (the gallery's file host, VK's CDN): serves registered files over real
// HTTP with switchable Range support, per-request latency, fault injection and byte accounting.
// Used by the copy engine's tests, the benchmarks and the Yandex upload-from-URL fake.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { crc32 } from 'node:zlib';

/** What a matching request gets instead of (or on top of) a clean answer. */
export type SourceFault =
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  /** Sends the headers and `afterBytes` bytes of the body, then destroys the socket. */
  | { kind: 'drop'; afterBytes: number }
  /** Flips one byte of the body (at `at` bytes into the file; the middle by default). */
  | { kind: 'corrupt'; at?: number }
  /** Throttles this answer to `bytesPerSec`. */
  | { kind: 'slow'; bytesPerSec: number };

interface FaultRule {
  path?: string;
  remaining: number;
  fault: SourceFault;
}

interface FileEntry {
  size: number;
  /** Bytes [start, end) of the file. */
  slice(start: number, end: number): Buffer;
  md5?: string;
  crc32?: string;
  contentType: string;
}

export interface SourceServer {
  url: string;
  /** Absolute URL of `path` ('/a/b.jpg'). */
  urlOf(path: string): string;
  /** Registers a file from bytes; returns its size and checksums (md5, crc32 as hex). */
  addFile(path: string, bytes: Buffer, contentType?: string): { size: number; md5: string; crc32: string };
  /** Registers a large file of `size` pseudo-random bytes generated on the fly (no memory per byte). */
  addGenerated(path: string, size: number, seed?: number): { size: number; md5: string; crc32: string };
  remove(path: string): void;
  /** Fails the next `times` requests (of `path`, or any) with `fault`. */
  injectFault(fault: SourceFault, opts?: { path?: string; times?: number }): void;
  clearFaults(): void;
  /** Whether Range requests are honoured (206) or ignored (200 with the whole file). */
  setRangeSupport(on: boolean): void;
  /** Delay before every answer, in ms. */
  setLatency(ms: number): void;
  stats(): {
    requests: number;
    bytesServed: number;
    rangeRequests: number;
    byPath: Record<string, { requests: number; bytes: number }>;
  };
  resetStats(): void;
  close(): Promise<void>;
}

const BLOCK = 1024 * 1024;

function generatedEntry(size: number, seed: number): FileEntry {
  // One random 1 MiB block, varied per block index so that no two blocks are equal (a resumed upload
  // that re-sends the wrong block would be caught by the md5).
  const base = createHash('sha256').update(`seed:${seed}`).digest();
  const block = Buffer.alloc(BLOCK);
  for (let i = 0; i < BLOCK; i += 32) createHash('sha256').update(base).update(String(i)).digest().copy(block, i);
  let last = { n: -1, buf: block };
  const blockAt = (n: number) => {
    if (last.n !== n) {
      const buf = Buffer.from(block);
      buf.writeUInt32BE(n, 0);
      last = { n, buf };
    }
    return last.buf;
  };
  return {
    size,
    contentType: 'application/octet-stream',
    slice(start, end) {
      const parts: Buffer[] = [];
      let pos = start;
      while (pos < end) {
        const n = Math.floor(pos / BLOCK);
        const inBlock = pos - n * BLOCK;
        const take = Math.min(BLOCK - inBlock, end - pos);
        parts.push(blockAt(n).subarray(inBlock, inBlock + take));
        pos += take;
      }
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    },
  };
}

function checksums(entry: FileEntry): { md5: string; crc32: string } {
  if (entry.md5 && entry.crc32) return { md5: entry.md5, crc32: entry.crc32 };
  const md5 = createHash('md5');
  let crc = 0;
  for (let pos = 0; pos < entry.size; pos += BLOCK) {
    const chunk = entry.slice(pos, Math.min(entry.size, pos + BLOCK));
    md5.update(chunk);
    crc = crc32(chunk, crc);
  }
  entry.md5 = md5.digest('hex');
  entry.crc32 = (crc >>> 0).toString(16).padStart(8, '0');
  return { md5: entry.md5, crc32: entry.crc32 };
}

export async function startSourceServer(
  opts: { latencyMs?: number; rangeSupport?: boolean } = {},
): Promise<SourceServer> {
  const files = new Map<string, FileEntry>();
  let faults: FaultRule[] = [];
  let rangeSupport = opts.rangeSupport ?? true;
  let latencyMs = opts.latencyMs ?? 0;
  let stats = {
    requests: 0,
    bytesServed: 0,
    rangeRequests: 0,
    byPath: {} as Record<string, { requests: number; bytes: number }>,
  };
  const sockets = new Set<Socket>();

  const takeFault = (path: string): SourceFault | undefined => {
    const rule = faults.find((f) => f.remaining > 0 && (f.path === undefined || f.path === path));
    if (!rule) return undefined;
    rule.remaining -= 1;
    faults = faults.filter((f) => f.remaining > 0);
    return rule.fault;
  };

  const count = (path: string, bytes: number) => {
    stats.bytesServed += bytes;
    const p = (stats.byPath[path] ??= { requests: 0, bytes: 0 });
    p.bytes += bytes;
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    stats.requests += 1;
    (stats.byPath[path] ??= { requests: 0, bytes: 0 }).requests += 1;
    if (latencyMs) await new Promise((r) => setTimeout(r, latencyMs));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const entry = files.get(path);
    const fault = takeFault(path);
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'text/plain', ...fault.headers }).end(`fault ${fault.status}`);
      return;
    }
    if (!entry) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    let start = 0;
    let end = entry.size; // exclusive
    let status = 200;
    const range = req.headers.range;
    const headers: Record<string, string | number> = {
      'content-type': entry.contentType,
      ...(rangeSupport && { 'accept-ranges': 'bytes' }),
    };
    if (range && rangeSupport) {
      stats.rangeRequests += 1;
      const m = /^bytes=(\d+)-(\d*)$/.exec(range);
      if (!m) {
        res.writeHead(416, { 'content-range': `bytes */${entry.size}` }).end();
        return;
      }
      start = Number(m[1]);
      end = m[2] ? Math.min(entry.size, Number(m[2]) + 1) : entry.size;
      if (start >= entry.size || start >= end) {
        res.writeHead(416, { 'content-range': `bytes */${entry.size}` }).end();
        return;
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${end - 1}/${entry.size}`;
    }
    headers['content-length'] = end - start;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const dropAt = fault?.kind === 'drop' ? start + fault.afterBytes : Infinity;
    const corruptAt = fault?.kind === 'corrupt' ? (fault.at ?? Math.floor(entry.size / 2)) : -1;
    const chunk = fault?.kind === 'slow' ? Math.max(1024, Math.floor(fault.bytesPerSec / 10)) : 256 * 1024;
    for (let pos = start; pos < end;) {
      if (res.destroyed) return;
      const upto = Math.min(end, pos + chunk, dropAt);
      let buf = entry.slice(pos, upto);
      if (corruptAt >= pos && corruptAt < upto) {
        buf = Buffer.from(buf);
        buf[corruptAt - pos] = (buf[corruptAt - pos]! ^ 0xff) & 0xff;
      }
      count(path, buf.length);
      pos = upto;
      if (pos >= dropAt) {
        res.write(buf, () => res.destroy());
        return;
      }
      if (!res.write(buf)) await new Promise((r) => res.once('drain', r));
      if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, 100));
    }
    res.end();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    urlOf: (path) => `${url}${path.split('/').map(encodeURIComponent).join('/')}`,
    addFile(path, bytes, contentType = 'application/octet-stream') {
      const entry: FileEntry = { size: bytes.length, contentType, slice: (s, e) => bytes.subarray(s, e) };
      files.set(path, entry);
      return { size: entry.size, ...checksums(entry) };
    },
    addGenerated(path, size, seed = randomBytes(4).readUInt32BE(0)) {
      const entry = generatedEntry(size, seed);
      files.set(path, entry);
      return { size, ...checksums(entry) };
    },
    remove: (path) => void files.delete(path),
    injectFault(fault, o = {}) {
      faults.push({ path: o.path, remaining: o.times ?? 1, fault });
    },
    clearFaults: () => void (faults = []),
    setRangeSupport: (on) => void (rangeSupport = on),
    setLatency: (ms) => void (latencyMs = ms),
    stats: () => structuredClone(stats),
    resetStats: () => void (stats = { requests: 0, bytesServed: 0, rangeRequests: 0, byPath: {} }),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
