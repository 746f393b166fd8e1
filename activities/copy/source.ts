// Reads a plan item's source over HTTP(S): from an offset with a Range request, re-checking the SSRF
// guard on every redirect, and typing the source's failures (404/410 gone for good, 429 back off).
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../lib/failures';
import { assertFetchable, type FetchGuardOptions } from './url-guard';

const MAX_REDIRECTS = 5;

export interface OpenedSource {
  stream: Readable;
  /** The whole file's size, when the source said (Content-Length / Content-Range). */
  size?: number;
}

/** Seconds or an HTTP date, as Retry-After allows; undefined when absent or unparsable. */
export function retryAfterMs(value: string | null): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function sourceFailure(res: Response, url: string): ApplicationFailure {
  const where = `source ${new URL(url).host}${new URL(url).pathname}`;
  if (res.status === 404 || res.status === 410) {
    return ApplicationFailure.create({
      type: FailureType.SourceNotFound,
      message: `${where} answered ${res.status}: the file is gone`,
      nonRetryable: true,
    });
  }
  if (res.status === 401 || res.status === 403) {
    return ApplicationFailure.create({
      type: FailureType.AccessDenied,
      message: `${where} answered ${res.status}: access denied`,
      nonRetryable: true,
    });
  }
  const delay = retryAfterMs(res.headers.get('retry-after'));
  if (res.status === 429 || (res.status === 503 && delay !== undefined)) {
    return ApplicationFailure.create({
      type: FailureType.RateLimited,
      message: `${where} asked to slow down (${res.status})`,
      nextRetryDelay: delay ?? 5000,
    });
  }
  return ApplicationFailure.create({ type: 'SourceUnavailable', message: `${where} answered ${res.status}` });
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
      await assertFetchable(url, this.guard);
      const res = await fetch(url, { headers, redirect: 'manual', signal: this.signal });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        if (hop >= MAX_REDIRECTS)
          throw ApplicationFailure.create({ type: 'SourceUnavailable', message: 'too many redirects' });
        url = new URL(location, url).toString();
        continue;
      }
      if (res.status === 416 && ranged) {
        // Asked from the very end: nothing left to read.
        await res.body?.cancel();
        const total = Number(/\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1]);
        if (total === offset) return { stream: Readable.from([]), size: total };
      }
      if (res.status !== 200 && res.status !== 206) {
        await res.body?.cancel();
        throw sourceFailure(res, url);
      }
      const body = res.body ? Readable.fromWeb(res.body as WebReadableStream<Uint8Array>) : Readable.from([]);
      const length = Number(res.headers.get('content-length') ?? NaN);
      if (res.status === 206) {
        this.rangeSupported = true;
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
        if (!m || Number(m[1]) !== offset) {
          body.destroy();
          throw ApplicationFailure.create({
            type: 'SourceUnavailable',
            message: `source sent a different range than asked (${m?.[0] ?? 'none'})`,
          });
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
