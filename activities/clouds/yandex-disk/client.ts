// A small typed client for the Yandex Disk REST API (YANDEX_DISK_API_URL): `Authorization: OAuth <token>`,
// one token refresh on 401 when a refresh token and the app's credentials are at hand, operation polling,
// a streamed PUT, and Yandex's error JSON mapped to Ferry's failure types.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import type { ApplicationFailure } from '@temporalio/common';
import type { Config } from '../../../lib/config';
import { failure, FailureType } from '../../../lib/failures';
import { retryAfterMs } from '../../../lib/retry-after';
import { deadline, isAbort, networkFailure, REQUEST_TIMEOUT_MS } from '../errors';

export interface YandexResource {
  name: string;
  path: string;
  type: 'dir' | 'file';
  size?: number;
  md5?: string;
  custom_properties?: Record<string, unknown>;
  _embedded?: { items: YandexResource[]; total: number };
}

interface YandexErrorBody {
  message?: string;
  description?: string;
  error?: string;
}

export class YandexApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string | undefined,
    message: string,
    readonly retryAfter: string | null,
  ) {
    super(message);
  }
}

/** Yandex's answers as typed failures (api-notes: 401, 507, 429, 423, 5xx). */
export function yandexFailure(what: string, err: YandexApiError): ApplicationFailure {
  const message = `${what}: Yandex Disk answered ${err.status}${err.error ? ` ${err.error}` : ''} (${err.message})`;
  if (err.status === 401) return failure(FailureType.AuthRevoked, `${message}; reconnect Yandex Disk`);
  if (err.status === 507) return failure(FailureType.QuotaExhausted, message);
  if (err.status === 429)
    return failure(FailureType.RateLimited, message, { retryAfterMs: retryAfterMs(err.retryAfter) });
  if (err.status === 403) return failure(FailureType.AccessDenied, message);
  if (err.status === 400 || err.status === 413) return failure(FailureType.InvalidInput, message);
  return failure(FailureType.DestinationUnavailable, message);
}

export interface YandexClientOptions {
  token: string;
  refreshToken?: string;
  config: Config;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** How long a token refresh may take (default 30 s). */
  refreshTimeoutMs?: number;
}

const REFRESH_TIMEOUT_MS = 30_000;

export class YandexDiskClient {
  private token: string;
  private readonly api: string;
  private readonly doFetch: typeof fetch;

  constructor(private readonly opts: YandexClientOptions) {
    this.token = opts.token;
    this.api = opts.config.YANDEX_DISK_API_URL.replace(/\/+$/, '');
    this.doFetch = opts.fetch ?? fetch;
  }

  /** Calls `method path?query`; resolves with the parsed JSON body, throws YandexApiError on non-2xx. */
  async request<T>(
    method: string,
    pathOrUrl: string,
    query: Record<string, string> = {},
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<T> {
    const url = new URL(pathOrUrl.startsWith('http') ? pathOrUrl : `${this.api}${pathOrUrl}`);
    // The OAuth token goes to YANDEX_DISK_API_URL only: an href in an answer may name any host.
    if (url.origin !== new URL(this.api).origin) {
      throw failure(
        FailureType.ForbiddenTarget,
        `${method} ${url.host}: not the Yandex Disk API (${new URL(this.api).host}); the token is not sent there`,
      );
    }
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      // Cleared once the body is read: an AbortSignal.timeout would hold the finished request (errors.ts).
      const due = deadline(signal, REQUEST_TIMEOUT_MS);
      let text: string;
      try {
        res = await this.doFetch(url, {
          method,
          headers: {
            authorization: `OAuth ${this.token}`,
            accept: 'application/json',
            ...(body !== undefined && { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: due.signal,
          // A redirect would carry the token to wherever it points: an answer, not an instruction.
          redirect: 'manual',
        });
        text = await res.text();
      } catch (err) {
        if (signal?.aborted) throw err;
        throw networkFailure(`${method} ${url.pathname}`, err);
      } finally {
        due.clear();
      }
      if (res.status === 401 && attempt === 0 && (await this.refresh())) continue;
      const json = text ? (safeJson(text) as T & YandexErrorBody) : ({} as T & YandexErrorBody);
      if (res.ok) return json;
      throw new YandexApiError(
        res.status,
        json.error,
        json.description ?? json.message ?? res.statusText,
        res.headers.get('retry-after'),
      );
    }
  }

  /** Streams `body` to an upload href with a plain PUT (the href carries its own credential). */
  put(
    href: string,
    body: Readable,
    size: number | undefined,
    signal?: AbortSignal,
  ): Promise<{ status: number; bytes: number }> {
    return new Promise((resolve, reject) => {
      const url = new URL(href);
      const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
      if (size !== undefined) headers['content-length'] = String(size);
      let bytes = 0;
      body.on('data', (chunk: Buffer) => (bytes += chunk.length));
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
        url,
        // A PUT that moves no byte for this long is a dead connection, however big the file.
        { method: 'PUT', headers, signal, timeout: REQUEST_TIMEOUT_MS },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no progress for ${REQUEST_TIMEOUT_MS / 1000} s`)));
      let sourceError: unknown;
      body.once('error', (e) => {
        sourceError = e;
        req.destroy(e);
      });
      req.on('error', (e) => reject(sourceError ?? (isAbort(e) ? e : networkFailure('upload PUT', e))));
      body.pipe(req);
    });
  }

  /**
   * Polls an operation (id or href) until it leaves in-progress: every 200 ms at first, then every 1 s.
   * An href is reduced to its operation id and polled at YANDEX_DISK_API_URL, whatever host it names.
   */
  async waitOperation(idOrHref: string, signal?: AbortSignal, timeoutMs = 30 * 60_000): Promise<'success' | 'failed'> {
    const id = idOrHref.startsWith('http') ? /\/operations\/([^/?#]+)/.exec(new URL(idOrHref).pathname)?.[1] : idOrHref;
    if (!id) throw failure(FailureType.DestinationUnavailable, `Yandex answered an operation link without an id`);
    const path = `/operations/${encodeURIComponent(decodeURIComponent(id))}`;
    const deadline = Date.now() + timeoutMs;
    for (let delay = 200; ; delay = Math.min(1000, delay * 1.5)) {
      const { status } = await this.request<{ status: string }>('GET', path, {}, undefined, signal);
      if (status === 'success' || status === 'failed') return status;
      if (Date.now() > deadline)
        throw failure(
          FailureType.DestinationUnavailable,
          `Yandex operation still ${status} after ${timeoutMs / 60_000} min`,
        );
      await sleep(delay, signal);
    }
  }

  /** A fresh access token from the refresh token (oauth.yandex.ru/token); false when that is impossible. */
  private async refresh(): Promise<boolean> {
    const { config, refreshToken } = this.opts;
    if (!refreshToken || !config.YANDEX_CLIENT_ID || !config.YANDEX_CLIENT_SECRET) return false;
    const res = await this.doFetch(`${config.YANDEX_OAUTH_URL.replace(/\/+$/, '')}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: config.YANDEX_CLIENT_ID,
        client_secret: config.YANDEX_CLIENT_SECRET,
      }),
      // A hung token endpoint must not hold the attempt (and its heartbeat timer) forever.
      signal: AbortSignal.timeout(this.opts.refreshTimeoutMs ?? REFRESH_TIMEOUT_MS),
      redirect: 'manual',
    }).catch((err: unknown) => {
      throw networkFailure('refresh Yandex token', err);
    });
    const json = safeJson(await res.text()) as { access_token?: string; error?: string; error_description?: string };
    if (res.ok && json.access_token) {
      this.token = json.access_token;
      return true;
    }
    if (res.status >= 500) throw failure(FailureType.DestinationUnavailable, `Yandex OAuth answered ${res.status}`);
    throw failure(
      FailureType.AuthRevoked,
      `Yandex refused to refresh the token (${json.error ?? res.status}: ${json.error_description ?? ''}); reconnect Yandex Disk`,
    );
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { description: text.slice(0, 200) };
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason as Error)), { once: true });
  });
}
