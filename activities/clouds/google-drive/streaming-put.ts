// The streaming HTTP transport of Drive's resumable upload: one PUT whose body is a plain Node stream
// over node:http(s), with backpressure, answering as fetch would. fetch would turn the body into a web
// stream and convert every piece (measured: it made the Drive path ~25% slower than the Yandex one).
// The protocol (sessions, Content-Range, 308s, resuming) is resumable.ts.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';

const toHeaders = (h: IncomingHttpHeaders) => {
  const out = new Headers();
  for (const [k, v] of Object.entries(h)) {
    if (v !== undefined) for (const one of Array.isArray(v) ? v : [v]) out.append(k, one);
  }
  return out;
};

/** fetch's contract for one PUT of a streamed body (`init.body`: an AsyncIterable of Buffers). */
export function streamingPut(url: string, init: RequestInit): Promise<Response> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => (headers[k] = v));
    const req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(
      target,
      { method: init.method, headers, signal: init.signal ?? undefined },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (b: Buffer) => parts.push(b));
        res.on('error', reject);
        res.on('end', () =>
          resolve(
            new Response(parts.length ? Buffer.concat(parts) : null, {
              status: res.statusCode ?? 0,
              headers: toHeaders(res.headers),
            }),
          ),
        );
      },
    );
    req.on('error', reject);
    const body = Readable.from(init.body as unknown as AsyncIterable<Buffer>, { objectMode: false });
    body.on('error', (err) => req.destroy(err));
    body.pipe(req);
  });
}
