// Drive's resumable upload protocol, by hand (the Node client has none): open a session, PUT chunks that
// are multiples of 256 KiB with Content-Range, read the confirmed offset from each 308's Range header and
// report it as a checkpoint (the engine stores it before the first byte goes, and once per confirmed
// chunk). A later attempt with that checkpoint, on any worker, asks the session where it stands
// (`Content-Range: bytes */N`) and reopens the source at that offset instead of re-sending the file.
// Chunks stream straight from the source to Drive (memory flat in chunk size, reading and sending
// overlap); only the last chunk, or every chunk when the size is unknown, is gathered first, to learn
// whether the source has more bytes than it should. A failed chunk is resumed the same way as a crash:
// ask the session, reopen the source at the confirmed offset.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import type { UploadCheckpoint, UploadRequest } from '../destination';
import { failure, FailureType } from '../../../lib/failures';
import { networkFailure, UPLOAD_TIMEOUT_MS, withTimeout } from '../errors';
import { driveFailure } from './errors';

const UNIT = 256 * 1024;
/** Transient failures of one chunk retried (status query, then resume) before giving up the attempt. */
const CHUNK_RETRIES = 3;

export interface DriveFileJson {
  id: string;
  name: string;
  size?: string;
  md5Checksum?: string;
  appProperties?: Record<string, string>;
}

export interface ResumableDeps {
  /** GOOGLE_API_URL without a trailing slash. */
  apiUrl: string;
  token(force?: boolean): Promise<string>;
  /** Bytes per chunk, a multiple of 256 KiB (DRIVE_CHUNK_SIZE). */
  chunkSize: number;
  fields: string;
  fetch?: typeof fetch;
}

class SessionGone extends Error {}

type PutResult = { done: true; file: DriveFileJson } | { done: false; offset: number };

export async function resumableUpload(
  deps: ResumableDeps,
  req: UploadRequest,
  metadata: object,
): Promise<DriveFileJson> {
  const doFetch = deps.fetch ?? fetch;
  const chunkSize = Math.max(UNIT, Math.floor(deps.chunkSize / UNIT) * UNIT);
  const total = req.size;
  const checkpoint = async (sessionUri: string, confirmedOffset: number) =>
    req.onCheckpoint?.({ sessionUri, confirmedOffset, total: total ?? 0 } satisfies UploadCheckpoint);

  /**
   * One authorised request; a 401 gets one fresh token (the access token may have expired mid-file). A
   * streamed body cannot be sent twice: its 401 refreshes the token and fails as transient, to be resumed.
   */
  async function call(url: string, init: RequestInit, what: string): Promise<Response> {
    const replayable = !(init.body && typeof init.body === 'object' && Symbol.asyncIterator in init.body);
    // The bearer token goes to GOOGLE_API_URL only: a session URI (a Location, or a heartbeat's) may name any host.
    if (new URL(url).origin !== new URL(deps.apiUrl).origin) {
      throw failure(FailureType.ForbiddenTarget, `${what}: ${new URL(url).host} is not the Drive API; no token sent`);
    }
    for (let attempt = 0; ; attempt++) {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${await deps.token(attempt > 0)}`);
      let res: Response;
      try {
        // A streamed chunk goes through node:http: a plain stream with backpressure, not a web stream
        // converting every piece (measured: fetch made the Drive path ~25% slower than the Yandex one).
        res = await (replayable || deps.fetch ? doFetch : streamingPut)(url, {
          ...init,
          headers,
          signal: withTimeout(req.signal, UPLOAD_TIMEOUT_MS),
          redirect: 'manual',
          ...(!replayable && { duplex: 'half' }),
        } as RequestInit);
      } catch (err) {
        if (req.signal?.aborted) throw err;
        throw networkFailure(what, err);
      }
      if (res.status !== 401 || attempt > 0) return res;
      await res.body?.cancel();
      if (!replayable) {
        await deps.token(true);
        throw failure(FailureType.DestinationUnavailable, `${what}: the access token expired mid-upload`);
      }
    }
  }

  async function fail(what: string, res: Response): Promise<never> {
    const body = await res.json().catch(() => undefined);
    throw driveFailure(what, res.status, body, res.headers.get('retry-after'));
  }

  async function interpret(res: Response, what: string): Promise<PutResult> {
    if (res.status === 200 || res.status === 201) return { done: true, file: (await res.json()) as DriveFileJson };
    if (res.status === 308) {
      await res.body?.cancel();
      const range = /bytes=0-(\d+)/.exec(res.headers.get('range') ?? '');
      return { done: false, offset: range ? Number(range[1]) + 1 : 0 };
    }
    if (res.status === 404 || res.status === 410) {
      await res.body?.cancel();
      throw new SessionGone(what);
    }
    return fail(what, res);
  }

  // Where the session stands: an empty PUT with `Content-Range: bytes */N`.
  async function status(session: string, knownTotal?: number): Promise<PutResult> {
    const res = await call(
      session,
      { method: 'PUT', headers: { 'content-range': `bytes */${knownTotal ?? '*'}`, 'content-length': '0' } },
      'resumable upload status',
    );
    return interpret(res, 'resumable upload status');
  }

  async function initiate(): Promise<string> {
    const url = `${deps.apiUrl}/upload/drive/v3/files?uploadType=resumable&fields=${encodeURIComponent(deps.fields)}`;
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=UTF-8',
      'x-upload-content-type': req.item.mimeType ?? 'application/octet-stream',
    };
    if (total !== undefined) headers['x-upload-content-length'] = String(total);
    const res = await call(url, { method: 'POST', headers, body: JSON.stringify(metadata) }, 'start resumable upload');
    if (res.status !== 200 && res.status !== 201) return fail('start resumable upload', res);
    await res.body?.cancel();
    const location = res.headers.get('location');
    if (!location)
      throw failure(FailureType.DestinationUnavailable, 'Drive opened a resumable session without a Location');
    return location;
  }

  /** One chunk of `length` bytes at `start`, its body streamed or gathered; `final` ends the upload. */
  async function put(session: string, body: AsyncIterable<Buffer>, start: number, length: number, final: boolean) {
    const totalText = final ? String(start + length) : total !== undefined ? String(total) : '*';
    const range = length ? `bytes ${start}-${start + length - 1}/${totalText}` : `bytes */${totalText}`;
    const res = await call(
      session,
      { method: 'PUT', headers: { 'content-range': range, 'content-length': String(length) }, body: body as never },
      'upload chunk',
    );
    return interpret(res, 'upload chunk');
  }

  let restarts = 0;
  let session = req.checkpoint?.sessionUri;
  for (;;) {
    try {
      let offset = 0;
      if (session) {
        const st = await status(session, total ?? (req.checkpoint?.total || undefined));
        if (st.done) return st.file;
        offset = st.offset;
      } else {
        session = await initiate();
      }
      // Durable before the first byte is sent on it: a crash from here on resumes this session.
      await checkpoint(session, offset);
      return await sendFrom(session, offset);
    } catch (err) {
      // An expired or unknown session: start the whole upload over, once per attempt.
      if (!(err instanceof SessionGone) || restarts++ > 0) {
        if (err instanceof SessionGone)
          throw failure(FailureType.DestinationUnavailable, 'the resumable session expired twice');
        throw err;
      }
      session = undefined;
    }
  }

  async function sendFrom(session: string, startOffset: number): Promise<DriveFileJson> {
    let offset = startOffset;
    let cursor = new SourceCursor(await req.open(offset));
    let failures = 0;
    const reopen = async (at: number) => {
      cursor.close();
      cursor = new SourceCursor(await req.open(at));
      offset = at;
      await checkpoint(session, offset);
    };
    try {
      for (;;) {
        // Stream every chunk but the last, which is gathered to check that the source ends where it
        // should. When the size is known, the last one is kept under 256 KiB: the chunk before it
        // stops at the last multiple of 256 KiB, so memory stays flat whatever DRIVE_CHUNK_SIZE is.
        const left = total === undefined ? undefined : total - offset;
        const streamedBytes =
          left === undefined ? 0 : left > chunkSize ? chunkSize : Math.floor((left - 1) / UNIT) * UNIT;
        let n = streamedBytes;
        let final = false;
        let body: AsyncIterable<Buffer>;
        if (streamedBytes > 0) body = cursor.take(streamedBytes);
        else {
          const gatherSize = left === undefined ? chunkSize : UNIT;
          const pieces = await cursor.gather(gatherSize + 1);
          const have = pieces.reduce((sum, b) => sum + b.length, 0);
          final = cursor.ended && have <= gatherSize;
          n = final ? have : gatherSize;
          if (total !== undefined && (offset + have > total || (final && offset + n !== total))) {
            throw failure(
              FailureType.ChecksumMismatch,
              `source size differs from the expected ${total} bytes (got ${offset + have}${final ? '' : '+'})`,
            );
          }
          body = cursor.replay(pieces, n);
        }
        let result: PutResult;
        try {
          result = await put(session, body, offset, n, final);
        } catch (err) {
          if (cursor.error) throw cursor.error;
          // Ask the session where it stands, with backoff; a status query that fails transiently is
          // retried from the same budget (Google's advice for 5xx while resuming).
          let failure: unknown = err;
          let st: PutResult | undefined;
          while (!st) {
            const transient = (failure as { type?: string }).type === FailureType.DestinationUnavailable;
            if (!transient || failures++ >= CHUNK_RETRIES) throw failure;
            await sleep(500 * 2 ** (failures - 1), req.signal);
            st = await status(session, total).catch((e: unknown) => {
              failure = e;
              return undefined;
            });
          }
          if (st.done) return st.file;
          await reopen(st.offset);
          continue;
        }
        if (result.done) return result.file;
        failures = 0;
        if (result.offset < offset || result.offset > offset + n) {
          throw failure(
            FailureType.DestinationUnavailable,
            `Drive confirmed offset ${result.offset}, outside the chunk at ${offset}`,
          );
        }
        // Drive may keep only part of a chunk: the rest is read again from the source.
        if (result.offset < offset + n) await reopen(result.offset);
        else {
          offset = result.offset;
          await checkpoint(session, offset);
        }
      }
    } finally {
      cursor.close();
    }
  }
}

const toHeaders = (h: IncomingHttpHeaders) => {
  const out = new Headers();
  for (const [k, v] of Object.entries(h)) {
    if (v !== undefined) for (const one of Array.isArray(v) ? v : [v]) out.append(k, one);
  }
  return out;
};

/** fetch's contract for one PUT of a streamed body, over node:http(s). */
function streamingPut(url: string, init: RequestInit): Promise<Response> {
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

/** Reads a source stream in exact slices, without copying: a piece that straddles two chunks is split. */
class SourceCursor {
  private it: AsyncIterator<Buffer>;
  private head?: Buffer;
  ended = false;
  /** Why a streamed chunk stopped short: the source's fault, not Drive's. */
  error?: Error;

  constructor(private stream: Readable) {
    this.it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  private async next(): Promise<Buffer | undefined> {
    if (this.head) {
      const head = this.head;
      this.head = undefined;
      return head;
    }
    if (this.ended) return undefined;
    const r = await this.it.next();
    if (r.done) {
      this.ended = true;
      return undefined;
    }
    return Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
  }

  /** The next `n` bytes as they arrive; a source ending sooner fails the chunk (its size is wrong). */
  async *take(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      let buf = await this.next();
      if (!buf) {
        this.error = failure(FailureType.ChecksumMismatch, `source ended ${left} bytes short of the expected size`);
        throw this.error;
      }
      if (buf.length > left) {
        this.head = buf.subarray(left);
        buf = buf.subarray(0, left);
      }
      left -= buf.length;
      yield buf;
    }
  }

  /** Up to `n` bytes gathered in memory (fewer when the source ends first). */
  async gather(n: number): Promise<Buffer[]> {
    const pieces: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const buf = await this.next();
      if (!buf) break;
      pieces.push(buf);
      have += buf.length;
    }
    return pieces;
  }

  /** The first `n` bytes of gathered pieces as a body; what lies beyond goes back to the cursor. */
  replay(pieces: Buffer[], n: number): AsyncIterable<Buffer> {
    const out: Buffer[] = [];
    let left = n;
    for (const [i, piece] of pieces.entries()) {
      if (piece.length <= left) {
        out.push(piece);
        left -= piece.length;
        continue;
      }
      if (left > 0) out.push(piece.subarray(0, left));
      this.head = Buffer.concat([piece.subarray(left), ...pieces.slice(i + 1)]);
      break;
    }
    return (async function* () {
      yield* out;
    })();
  }

  close(): void {
    this.stream.destroy();
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason as Error)), { once: true });
  });
}
