// A stand-in for the gallery platform (app.litegallery.io): the archive listing at
// `<base>/g/api/stream/<id>/<hash>?json=true` and `POST <base>/cloud_archive/done`, which records
// each call. Files themselves are served by the source-server fake (the platform's file host).
// Tests register listings (entries, raw text, a status or a redirect) and inject done failures.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen, readBody, sendJson, underBase } from './http-kit';

export interface GalleryEntry {
  crc: string;
  filesize: number;
  created_at: string;
  name: string;
  url: string;
  id: number;
}

type ListingAnswer =
  | { kind: 'json'; body: unknown }
  | { kind: 'raw'; text: string; contentType?: string }
  | { kind: 'status'; status: number }
  | { kind: 'redirect'; location: string };

export interface DoneCall {
  body: unknown;
  status: number;
  at: number;
}

export interface GalleryFakeOptions {
  /** Serve under a path prefix, as GALLERY_API_URL may carry one (e.g. '/gallery'). */
  basePath?: string;
}

export async function startGalleryFake(options: GalleryFakeOptions = {}) {
  const base = options.basePath ?? '';
  const listings = new Map<string, ListingAnswer>();
  const doneCalls: DoneCall[] = [];
  const requests: Array<{ method: string; path: string; query: string }> = [];
  let doneFailures = { remaining: 0, status: 503 };

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    requests.push({ method: req.method ?? '', path: url.pathname, query: url.search });
    const path = underBase(url.pathname, base);

    if (req.method === 'GET' && path?.startsWith('/g/api/stream/')) {
      // The platform answers the listing only for ?json=true; without it the path is the zip stream.
      if (url.searchParams.get('json') !== 'true') return sendJson(res, 400, { error: 'json=true expected' });
      const answer = listings.get(path);
      if (!answer) return sendJson(res, 404, { error: 'Not found' });
      if (answer.kind === 'json') return sendJson(res, 200, answer.body);
      if (answer.kind === 'status') return sendJson(res, answer.status, { error: `status ${answer.status}` });
      if (answer.kind === 'redirect') return void res.writeHead(302, { location: answer.location }).end();
      res.writeHead(200, { 'content-type': answer.contentType ?? 'application/json' });
      return void res.end(answer.text);
    }

    if (req.method === 'POST' && path === '/cloud_archive/done') {
      const text = (await readBody(req)).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return sendJson(res, 400, { error: 'invalid JSON' });
      }
      const b = body as Record<string, unknown>;
      const valid =
        (b.cloud_type === 'google_drive' || b.cloud_type === 'yadisk') &&
        Number.isInteger(b.failed_photos) &&
        (b.failed_photos as number) >= 0 &&
        (b.archive_type === 'webs' || b.archive_type === 'originals');
      if (!valid) {
        doneCalls.push({ body, status: 422, at: Date.now() });
        return sendJson(res, 422, { error: 'cloud_type, failed_photos and archive_type are required' });
      }
      if (doneFailures.remaining > 0) {
        doneFailures.remaining -= 1;
        doneCalls.push({ body, status: doneFailures.status, at: Date.now() });
        return sendJson(res, doneFailures.status, { error: 'temporarily unavailable' });
      }
      doneCalls.push({ body, status: 200, at: Date.now() });
      return sendJson(res, 200, { ok: true });
    }

    sendJson(res, 404, { error: `No route ${req.method} ${url.pathname}` });
  };

  const server = await listen(handler);
  const root = `${server.url}${base}`;
  return {
    /** GALLERY_API_URL */
    url: root,
    port: server.port,
    requests,
    /** Every done call, successful or not, in order. */
    doneCalls,
    /** Successful done calls only: what the platform "learned". */
    acceptedDone: () => doneCalls.filter((c) => c.status === 200).map((c) => c.body),
    /** `/g/api/stream/<id>/<hash>` answers these entries (a JSON array). */
    setListing(path: string, entries: unknown): void {
      listings.set(path, { kind: 'json', body: entries });
    },
    setRawListing(path: string, text: string, contentType?: string): void {
      listings.set(path, { kind: 'raw', text, contentType });
    },
    setListingStatus(path: string, status: number): void {
      listings.set(path, { kind: 'status', status });
    },
    setListingRedirect(path: string, location: string): void {
      listings.set(path, { kind: 'redirect', location });
    },
    /** The next `times` done calls fail with `status` (default 503). */
    failDone(times: number, status = 503): void {
      doneFailures = { remaining: times, status };
    },
    close: () => server.close(),
  };
}

export type GalleryFake = Awaited<ReturnType<typeof startGalleryFake>>;
