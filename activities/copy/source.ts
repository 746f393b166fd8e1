// Reads a plan item's source over HTTP(S): from an offset with a Range request, through the SSRF guard
// (guarded-http.ts: every hop's URL, and the address each connection actually reaches), and typing the
// source's failures (404/410 gone for good, 429 back off).
import type { IncomingMessage } from 'node:http';
import { Readable, Transform } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import { failure, FailureType } from '../../lib/failures';
import { retryAfterMs } from '../../lib/retry-after';
import { guardedRequest, MAX_REDIRECTS } from './guarded-http';
import type { FetchGuardOptions } from './url-guard';

// node:http rather than fetch: a plain Node stream with no web-stream conversion per chunk (the
// source is the hot path of every copy); keep-alive connections come from the guard's agents.
async function get(url: string, headers: Record<string, string>, guard: FetchGuardOptions, signal?: AbortSignal) {
  try {
    return await guardedRequest(url, guard, { headers, signal });
  } catch (err) {
    if (signal?.aborted || err instanceof ApplicationFailure) throw err;
    throw failure(FailureType.SourceUnavailable, `source ${new URL(url).host} unreachable: ${(err as Error).message}`);
  }
}

const header = (res: IncomingMessage, name: string): string | null => {
  const v = res.headers[name];
  return v === undefined ? null : Array.isArray(v) ? (v[0] ?? null) : v;
};

export interface OpenedSource {
  stream: Readable;
  /** The whole file's size, when the source said (Content-Length / Content-Range). */
  size?: number;
}

function sourceFailure(res: { status: number; retryAfter: string | null }, url: string): ApplicationFailure {
  const where = `source ${new URL(url).host}${new URL(url).pathname}`;
  if (res.status === 404 || res.status === 410) {
    return failure(FailureType.SourceNotFound, `${where} answered ${res.status}: the file is gone`);
  }
  if (res.status === 401 || res.status === 403) {
    return failure(FailureType.AccessDenied, `${where} answered ${res.status}: access denied`);
  }
  const delay = retryAfterMs(res.retryAfter);
  if (res.status === 429 || (res.status === 503 && delay !== undefined)) {
    return failure(FailureType.RateLimited, `${where} asked to slow down (${res.status})`, {
      retryAfterMs: delay ?? 5000,
    });
  }
  return failure(FailureType.SourceUnavailable, `${where} answered ${res.status}`);
}

/** Drops the first `n` bytes of a stream: the fallback when a source ignores Range. */
function skipBytes(n: number): Transform {
  let left = n;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (left >= chunk.length) {
        left -= chunk.length;
        return done();
      }
      const rest = left > 0 ? chunk.subarray(left) : chunk;
      left = 0;
      done(null, rest);
    },
  });
}

export class SourceReader {
  /** Whether the source honoured our last Range request (false once it answered 200 to one). */
  rangeSupported: boolean | undefined;

  constructor(
    private readonly url: string,
    private readonly guard: FetchGuardOptions,
    private readonly signal?: AbortSignal,
  ) {}

  /**
   * The bytes from `offset` (to `end`, exclusive, when given). Uses Range when offset > 0 or end is set;
   * a source that ignores Range (200) is read from its start and the prefix dropped.
   */
  async open(offset: number, end?: number): Promise<OpenedSource> {
    const ranged = offset > 0 || end !== undefined;
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (ranged) headers.range = `bytes=${offset}-${end !== undefined ? end - 1 : ''}`;
    let url = this.url;
    for (let hop = 0; ; hop++) {
      const res = await get(url, headers, this.guard, this.signal);
      const status = res.statusCode ?? 0;
      const location = header(res, 'location');
      if (status >= 300 && status < 400 && location) {
        res.resume();
        if (hop >= MAX_REDIRECTS) throw failure(FailureType.SourceUnavailable, 'too many redirects');
        url = new URL(location, url).toString();
        continue;
      }
      if (status === 416 && ranged) {
        // Asked from the very end: nothing left to read.
        res.resume();
        const total = Number(/\/(\d+)$/.exec(header(res, 'content-range') ?? '')?.[1]);
        if (total === offset) return { stream: Readable.from([]), size: total };
      }
      if (status !== 200 && status !== 206) {
        res.resume();
        throw sourceFailure({ status, retryAfter: header(res, 'retry-after') }, url);
      }
      const body: Readable = res;
      const length = Number(header(res, 'content-length') ?? NaN);
      if (status === 206) {
        this.rangeSupported = true;
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header(res, 'content-range') ?? '');
        if (!m || Number(m[1]) !== offset) {
          body.destroy();
          throw failure(
            FailureType.SourceUnavailable,
            `source sent a different range than asked (${m?.[0] ?? 'none'})`,
          );
        }
        return { stream: body, size: m[3] === '*' ? undefined : Number(m[3]) };
      }
      const size = Number.isFinite(length) ? length : undefined;
      if (!ranged) return { stream: body, size };
      this.rangeSupported = false;
      const sliced = body.pipe(skipBytes(offset));
      body.on('error', (err) => sliced.destroy(err));
      return { stream: sliced, size };
    }
  }
}
