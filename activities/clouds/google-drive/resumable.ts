// Drive's resumable upload protocol, by hand (the Node client has none): open a session, PUT chunks that
// are multiples of 256 KiB with Content-Range, read the confirmed offset from each 308's Range header and
// report it as a checkpoint. A later attempt with that checkpoint asks the session where it stands
// (`Content-Range: bytes */N`) and reopens the source at that offset instead of re-sending the file.
import type { Readable } from 'node:stream';
import type { UploadCheckpoint, UploadRequest } from '../destination';
import {
  cloudFailure,
  DESTINATION_UNAVAILABLE,
  FailureType,
  networkFailure,
  UPLOAD_TIMEOUT_MS,
  withTimeout,
} from '../errors';
import { driveFailure } from './errors';

const UNIT = 256 * 1024;
/** Transient failures of one chunk retried in place (status query, then resume) before giving up the attempt. */
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
  const checkpoint = (sessionUri: string, confirmedOffset: number) =>
    req.onCheckpoint?.({ sessionUri, confirmedOffset, total: total ?? 0 } satisfies UploadCheckpoint);

  /** One authorised request; a 401 gets one fresh token (the access token may have expired mid-file). */
  async function call(url: string, init: RequestInit, what: string): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${await deps.token(attempt > 0)}`);
      let res: Response;
      try {
        res = await doFetch(url, {
          ...init,
          headers,
          signal: withTimeout(req.signal, UPLOAD_TIMEOUT_MS),
          redirect: 'manual',
        });
      } catch (err) {
        if (req.signal?.aborted) throw err;
        throw networkFailure(what, err);
      }
      if (res.status !== 401 || attempt > 0) return res;
      await res.body?.cancel();
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
    if (!location) throw cloudFailure(DESTINATION_UNAVAILABLE, 'Drive opened a resumable session without a Location');
    return location;
  }

  /** One chunk; transient failures are retried in place after asking the session what it has. */
  async function put(session: string, body: Buffer, start: number, final: boolean): Promise<PutResult> {
    const end = start + body.length - 1;
    const totalText = final ? String(start + body.length) : total !== undefined ? String(total) : '*';
    const range = body.length ? `bytes ${start}-${end}/${totalText}` : `bytes */${totalText}`;
    for (let i = 0; ; i++) {
      try {
        const res = await call(session, { method: 'PUT', headers: { 'content-range': range }, body }, 'upload chunk');
        return await interpret(res, 'upload chunk');
      } catch (err) {
        const transient = (err as { type?: string }).type === DESTINATION_UNAVAILABLE;
        if (!transient || i >= CHUNK_RETRIES) throw err;
        await sleep(500 * 2 ** i, req.signal);
        const st = await status(session, final ? start + body.length : total);
        if (st.done || st.offset !== start) return st;
      }
    }
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
      checkpoint(session, offset);
      return await sendFrom(session, offset);
    } catch (err) {
      // An expired or unknown session: start the whole upload over, once per attempt.
      if (!(err instanceof SessionGone) || restarts++ > 0) {
        if (err instanceof SessionGone)
          throw cloudFailure(DESTINATION_UNAVAILABLE, 'the resumable session expired twice');
        throw err;
      }
      session = undefined;
    }
  }

  async function sendFrom(session: string, startOffset: number): Promise<DriveFileJson> {
    const source = new ChunkQueue(await req.open(startOffset));
    let offset = startOffset;
    try {
      for (;;) {
        await source.fill(chunkSize + 1);
        const final = source.ended && source.length <= chunkSize;
        const n = final ? source.length : chunkSize;
        if (total !== undefined && (offset + source.length > total || (final && offset + n !== total))) {
          throw cloudFailure(
            FailureType.ChecksumMismatch,
            `source size differs from the expected ${total} bytes (got ${offset + source.length}${final ? '' : '+'})`,
          );
        }
        const result = await put(session, source.peek(n), offset, final);
        if (result.done) return result.file;
        if (result.offset < offset || result.offset > offset + n) {
          throw cloudFailure(
            DESTINATION_UNAVAILABLE,
            `Drive confirmed offset ${result.offset}, outside the chunk at ${offset}`,
          );
        }
        source.drop(result.offset - offset);
        offset = result.offset;
        checkpoint(session, offset);
      }
    } finally {
      source.close();
    }
  }
}

/** Bytes from the source not yet confirmed by Drive, kept as pieces so a chunk is copied only once. */
class ChunkQueue {
  private pieces: Buffer[] = [];
  length = 0;
  ended = false;
  private it: AsyncIterator<Buffer>;

  constructor(private stream: Readable) {
    this.it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  async fill(n: number): Promise<void> {
    while (!this.ended && this.length < n) {
      const r = await this.it.next();
      if (r.done) this.ended = true;
      else {
        const buf = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
        this.pieces.push(buf);
        this.length += buf.length;
      }
    }
  }

  peek(n: number): Buffer {
    if (this.pieces.length === 1 && this.pieces[0]!.length === n) return this.pieces[0]!;
    return Buffer.concat(this.pieces, this.length).subarray(0, n);
  }

  drop(n: number): void {
    this.length -= n;
    while (n > 0) {
      const head = this.pieces[0]!;
      if (head.length <= n) {
        n -= head.length;
        this.pieces.shift();
      } else {
        this.pieces[0] = head.subarray(n);
        n = 0;
      }
    }
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
