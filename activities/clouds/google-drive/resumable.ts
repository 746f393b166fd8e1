// Drive's resumable upload protocol, by hand (the Node client has none): open a session, PUT chunks that
// are multiples of 256 KiB with Content-Range, read the confirmed offset from each 308's Range header and
// report it as a checkpoint (the engine stores it before the first byte goes, and once per confirmed
// chunk). A later attempt with that checkpoint, on any worker, asks the session where it stands
// (`Content-Range: bytes */N`) and reopens the source at that offset instead of re-sending the file.
// Chunks stream straight from the source to Drive (memory flat in chunk size, reading and sending
// overlap; the transport is streaming-put.ts); only the last chunk, or every chunk when the size is
// unknown, is gathered first, to learn whether the source has more bytes than it should. A failed
// chunk is resumed the same way as a crash: ask the session, reopen the source at the confirmed offset.
import { failure, FailureType } from '../../../lib/failures';
import type { UploadRequest } from '../destination';
import { networkFailure, UPLOAD_TIMEOUT_MS, withTimeout } from '../errors';
import { driveFailure } from './errors';
import { SourceCursor } from './source-cursor';
import { streamingPut } from './streaming-put';

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

/** Uploads `req` with `metadata` through a resumable session: the earlier attempt's, or a new one. */
export async function resumableUpload(
  deps: ResumableDeps,
  req: UploadRequest,
  metadata: object,
): Promise<DriveFileJson> {
  const upload = new ResumableUpload(deps, req, metadata);
  let restarts = 0;
  let session = req.checkpoint?.kind === 'drive' ? req.checkpoint.sessionUri : undefined;
  for (;;) {
    try {
      let offset = 0;
      if (session) {
        const st = await upload.status(session, req.size ?? (req.checkpoint?.total || undefined));
        if (st.done) return st.file;
        offset = st.offset;
      } else {
        session = await upload.initiate();
      }
      // Durable before the first byte is sent on it: a crash from here on resumes this session.
      await upload.checkpoint(session, offset);
      return await upload.sendFrom(session, offset);
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
}

/** One upload's requests on its session: initiate, status, chunks, and the loop that sends them. */
class ResumableUpload {
  private readonly doFetch: typeof fetch;
  private readonly chunkSize: number;
  private readonly total: number | undefined;

  constructor(
    private readonly deps: ResumableDeps,
    private readonly req: UploadRequest,
    private readonly metadata: object,
  ) {
    this.doFetch = deps.fetch ?? fetch;
    this.chunkSize = Math.max(UNIT, Math.floor(deps.chunkSize / UNIT) * UNIT);
    this.total = req.size;
  }

  async checkpoint(sessionUri: string, confirmedOffset: number): Promise<void> {
    await this.req.onCheckpoint?.({ kind: 'drive', sessionUri, confirmedOffset, total: this.total ?? 0 });
  }

  async initiate(): Promise<string> {
    const { deps, req, total } = this;
    const url = `${deps.apiUrl}/upload/drive/v3/files?uploadType=resumable&fields=${encodeURIComponent(deps.fields)}`;
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=UTF-8',
      'x-upload-content-type': req.item.mimeType ?? 'application/octet-stream',
    };
    if (total !== undefined) headers['x-upload-content-length'] = String(total);
    const body = JSON.stringify(this.metadata);
    const res = await this.call(url, { method: 'POST', headers, body }, 'start resumable upload');
    if (res.status !== 200 && res.status !== 201) return this.fail('start resumable upload', res);
    await res.body?.cancel();
    const location = res.headers.get('location');
    if (!location)
      throw failure(FailureType.DestinationUnavailable, 'Drive opened a resumable session without a Location');
    return location;
  }

  // Where the session stands: an empty PUT with `Content-Range: bytes */N`.
  async status(session: string, knownTotal?: number): Promise<PutResult> {
    const res = await this.call(
      session,
      { method: 'PUT', headers: { 'content-range': `bytes */${knownTotal ?? '*'}`, 'content-length': '0' } },
      'resumable upload status',
    );
    return this.interpret(res, 'resumable upload status');
  }

  /** The source from `startOffset` to the end, chunk by chunk, each failed chunk resumed from the session. */
  async sendFrom(session: string, startOffset: number): Promise<DriveFileJson> {
    const { req, total, chunkSize } = this;
    let offset = startOffset;
    let cursor = new SourceCursor(await req.open(offset));
    let failures = 0;
    const reopen = async (at: number) => {
      cursor.close();
      cursor = new SourceCursor(await req.open(at));
      offset = at;
      await this.checkpoint(session, offset);
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
          result = await this.put(session, body, offset, n, final);
        } catch (err) {
          if (cursor.error) throw cursor.error;
          // Ask the session where it stands, with backoff; a status query that fails transiently is
          // retried from the same budget (Google's advice for 5xx while resuming).
          let last: unknown = err;
          let st: PutResult | undefined;
          while (!st) {
            const transient = (last as { type?: string }).type === FailureType.DestinationUnavailable;
            if (!transient || failures++ >= CHUNK_RETRIES) throw last;
            await sleep(500 * 2 ** (failures - 1), req.signal);
            st = await this.status(session, total).catch((e: unknown) => {
              last = e;
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
          await this.checkpoint(session, offset);
        }
      }
    } finally {
      cursor.close();
    }
  }

  /** One chunk of `length` bytes at `start`, its body streamed or gathered; `final` ends the upload. */
  private async put(session: string, body: AsyncIterable<Buffer>, start: number, length: number, final: boolean) {
    const { total } = this;
    const totalText = final ? String(start + length) : total !== undefined ? String(total) : '*';
    const range = length ? `bytes ${start}-${start + length - 1}/${totalText}` : `bytes */${totalText}`;
    const res = await this.call(
      session,
      { method: 'PUT', headers: { 'content-range': range, 'content-length': String(length) }, body: body as never },
      'upload chunk',
    );
    return this.interpret(res, 'upload chunk');
  }

  /** 200/201: the file; 308: the offset Drive confirmed (`Range: bytes=0-N`); 404/410: the session is gone. */
  private async interpret(res: Response, what: string): Promise<PutResult> {
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
    return this.fail(what, res);
  }

  private async fail(what: string, res: Response): Promise<never> {
    const body = await res.json().catch(() => undefined);
    throw driveFailure(what, res.status, body, res.headers.get('retry-after'));
  }

  /**
   * One authorised request; a 401 gets one fresh token (the access token may have expired mid-file). A
   * streamed body cannot be sent twice: its 401 refreshes the token and fails as transient, to be resumed.
   */
  private async call(url: string, init: RequestInit, what: string): Promise<Response> {
    const { deps, req } = this;
    const replayable = !(init.body && typeof init.body === 'object' && Symbol.asyncIterator in init.body);
    // The bearer token goes to GOOGLE_API_URL only: a session URI (a Location, or a checkpoint's) may name any host.
    if (new URL(url).origin !== new URL(deps.apiUrl).origin) {
      throw failure(FailureType.ForbiddenTarget, `${what}: ${new URL(url).host} is not the Drive API; no token sent`);
    }
    for (let attempt = 0; ; attempt++) {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${await deps.token(attempt > 0)}`);
      let res: Response;
      try {
        // A streamed chunk goes through the node:http transport (streaming-put.ts), a replayable one
        // (and every request of a test's own fetch) through fetch.
        res = await (replayable || deps.fetch ? this.doFetch : streamingPut)(url, {
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
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason as Error)), { once: true });
  });
}
