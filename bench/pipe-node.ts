// bench:large's lean Node baseline, alone in its process: node:http only, the source's GET body piped
// into the upload with backpressure, nothing hashed, nothing checked but the status.
//   Yandex: GET the upload link, then one PUT of the whole body (`pipeline(GET, PUT)`).
//   Drive: the resumable protocol exactly as Ferry speaks it — open a session, then one PUT per chunk
//   of DRIVE_CHUNK_SIZE bytes (each a 308 until the last), all cut from ONE GET of the source.
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { serveRpc } from './rpc-serve';

interface PipeJob {
  sourceUrl: string;
  size: number;
}

function send(url: string, init: { method: string; headers: Record<string, string | number>; body?: string }) {
  return new Promise<{ res: IncomingMessage; text: string }>((ok, fail) => {
    const req = request(url, { method: init.method, headers: init.headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => ok({ res, text }));
    });
    req.on('error', fail);
    req.end(init.body);
  });
}

const get = (url: string) => new Promise<IncomingMessage>((ok, fail) => request(url, ok).on('error', fail).end());

/** Writes exactly `length` bytes of `source` (leftover from the last call first) into `req`. */
async function writeSpan(
  source: AsyncIterator<Buffer>,
  carry: { buf: Buffer },
  req: ReturnType<typeof request>,
  length: number,
) {
  let left = length;
  while (left > 0) {
    let buf = carry.buf;
    if (!buf.length) {
      const next = await source.next();
      if (next.done) throw new Error(`source ended ${left} bytes early`);
      buf = next.value;
    }
    const piece = buf.length > left ? buf.subarray(0, left) : buf;
    carry.buf = buf.subarray(piece.length);
    left -= piece.length;
    if (!req.write(piece)) await once(req, 'drain');
  }
}

async function driveChunk(
  session: string,
  range: string,
  length: number,
  write: (req: ReturnType<typeof request>) => Promise<void>,
) {
  const req = request(session, {
    method: 'PUT',
    headers: { 'content-range': range, 'content-length': length },
  });
  const answered = once(req, 'response') as Promise<[IncomingMessage]>;
  await write(req);
  req.end();
  const [res] = await answered;
  res.resume();
  return res.statusCode ?? 0;
}

const methods = {
  async drive(job: PipeJob & { apiUrl: string; accessToken: string; chunkSize: number }): Promise<number> {
    const t = performance.now();
    const { res } = await send(`${job.apiUrl}/upload/drive/v3/files?uploadType=resumable`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${job.accessToken}`,
        'content-type': 'application/json; charset=UTF-8',
        'x-upload-content-length': job.size,
      },
      body: JSON.stringify({ name: `pipe-${Date.now()}.bin` }),
    });
    const session = res.headers.location;
    if (!session) throw new Error(`Drive opened no session (${res.statusCode})`);
    const src = await get(job.sourceUrl);
    const source = src[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const carry = { buf: Buffer.alloc(0) };
    for (let offset = 0; offset < job.size; offset += job.chunkSize) {
      const length = Math.min(job.chunkSize, job.size - offset);
      const range = `bytes ${offset}-${offset + length - 1}/${job.size}`;
      const status = await driveChunk(session, range, length, (req) => writeSpan(source, carry, req, length));
      const last = offset + length >= job.size;
      if (last ? status !== 200 && status !== 201 : status !== 308) throw new Error(`Drive chunk ${range}: ${status}`);
    }
    return performance.now() - t;
  },

  async yandex(job: PipeJob & { apiUrl: string; token: string }): Promise<number> {
    const t = performance.now();
    const link = await send(
      `${job.apiUrl}/resources/upload?path=${encodeURIComponent(`disk:/pipe-${Date.now()}.bin`)}`,
      { method: 'GET', headers: { authorization: `OAuth ${job.token}` } },
    );
    const { href } = JSON.parse(link.text) as { href: string };
    const src = await get(job.sourceUrl);
    const put = request(href, { method: 'PUT', headers: { 'content-length': job.size } });
    const answered = once(put, 'response') as Promise<[IncomingMessage]>;
    await pipeline(src, put);
    const [res] = await answered;
    res.resume();
    if (res.statusCode !== 201 && res.statusCode !== 202) throw new Error(`Yandex PUT: ${res.statusCode}`);
    return performance.now() - t;
  },
};

export type PipeMethods = typeof methods;
serveRpc(methods, 'pipe ready');
