// The OK REST client: every call signed (./signature.ts), sent as a form POST to OK_API_URL (fb.do with
// `method` as a parameter), paced per token, and OK's error codes translated into Ferry's failure
// types at the edge, so the workflow decides on a type ("private profile: stop"), never on a code.
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { failure, FailureType } from '../../lib/failures';
import { signOkRequest } from './signature';

interface OkClientOptions {
  /** `https://api.ok.ru/fb.do`: OK_API_URL. */
  apiUrl: string;
  applicationKey: string;
  /** Signs; never sent. */
  applicationSecretKey: string;
  accessToken: string;
  requestsPerSecond: number;
}

/** `{"error_code": 104, "error_msg": "PARAM_SIGNATURE : …", "error_data": null}`: OK's answer in place of a result. */
class OkApiError extends Error {
  constructor(
    readonly code: number,
    readonly okMessage: string,
    readonly data: unknown,
  ) {
    super(`OK error ${code}: ${okMessage}`);
    this.name = 'OkApiError';
  }
}

export interface OkClient {
  call<T>(method: string, params: Record<string, string | number | undefined>): Promise<T>;
}

/** FLOOD_BLOCKED (and ACTION_BLOCKED): OK asks us to slow down. Waited out here a couple of times first. */
const FLOOD_CODES = new Set([7, 8]);
const FLOOD_WAITS_MS = [1000, 3000];
const TIMEOUT_MS = 20_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// One pacing queue per API, app and token per worker process: concurrent backups with one token share
// one budget, as VK's client does. OK publishes no number (docs/ok-backup.md): OK_REQUESTS_PER_SECOND.
// Slots are measured from when the previous call actually went out, so a stalled event loop never
// releases a burst.
const queues = new Map<string, { last: number; turn: Promise<void> }>();

function paced(options: OkClientOptions): Promise<void> {
  const id = createHash('sha256')
    .update(`${options.apiUrl}\n${options.applicationKey}\n${options.accessToken}`)
    .digest('hex');
  let queue = queues.get(id);
  if (!queue) queues.set(id, (queue = { last: 0, turn: Promise.resolve() }));
  const q = queue;
  const gap = 1000 / options.requestsPerSecond;
  q.turn = q.turn.then(async () => {
    const wait = q.last + gap - Date.now();
    if (wait > 0) await sleep(wait);
    q.last = Date.now();
  });
  return q.turn;
}

function errorIn(body: unknown): OkApiError | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const b = body as { error_code?: unknown; error_msg?: unknown; error_data?: unknown };
  // Clients detect an error by error_code (most) or error_msg (the official Android and JS SDKs).
  if (b.error_code === undefined && b.error_msg === undefined) return undefined;
  return new OkApiError(Number(b.error_code ?? 0), String(b.error_msg ?? ''), b.error_data ?? null);
}

async function send(options: OkClientOptions, params: Record<string, string>): Promise<unknown> {
  const signed = signOkRequest(params, options);
  await paced(options);
  // POST, not GET: the access token stays out of URLs (and so out of proxies' access logs).
  const res = await fetch(options.apiUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(signed).toString(),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${res.status}, not JSON: ${text.slice(0, 120)}`);
  }
  // OK's error replies are JSON whatever the HTTP status: the body decides, not the status.
  const error = errorIn(body);
  if (error) throw error;
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return body;
}

export function okClient(options: OkClientOptions): OkClient {
  return {
    async call<T>(method: string, params: Record<string, string | number | undefined>): Promise<T> {
      const sent: Record<string, string> = { application_key: options.applicationKey, format: 'json', method };
      for (const [k, v] of Object.entries(params)) if (v !== undefined) sent[k] = String(v);
      for (let attempt = 0; ; attempt += 1) {
        try {
          return (await send(options, sent)) as T;
        } catch (err) {
          if (!(err instanceof OkApiError && FLOOD_CODES.has(err.code)) || attempt >= FLOOD_WAITS_MS.length) throw err;
          await sleep(FLOOD_WAITS_MS[attempt]!);
        }
      }
    },
  };
}

/** The Ferry failure for an error of an OK call. */
export function okFailure(err: unknown, context: { user: string; album?: string }): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (!(err instanceof OkApiError)) {
    // Network errors, timeouts, malformed answers: retried with the activity's backoff.
    const message = err instanceof Error ? err.message : String(err);
    return failure(FailureType.OkUnavailable, `OK API unreachable: ${message}`);
  }
  const { code } = err;
  const who = `OK user ${context.user}`;
  const album = context.album && context.album !== 'all' ? `album ${context.album} of ${who}` : `the photos of ${who}`;
  const stop = (type: FailureType, message: string) =>
    failure(type, `${message} (OK error ${code})`, { nonRetryable: true });
  switch (code) {
    case 101:
    case 104:
    case 105:
    case 210:
      return stop(
        FailureType.ConfigurationError,
        `OK refused Ferry's application credentials: check OK_APPLICATION_KEY and OK_APPLICATION_SECRET_KEY (${err.okMessage})`,
      );
    case 3:
      return stop(FailureType.ConfigurationError, `OK does not know the method: check OK_API_URL (${err.okMessage})`);
    case 102:
      return stop(FailureType.AuthRevoked, 'the OK access token has expired: get a new one and try again');
    case 103:
    case 453:
      return stop(FailureType.AuthRevoked, 'OK rejected the access token: get a new one and try again');
    case 10:
    case 200:
      return stop(FailureType.AccessDenied, `access to ${album} is denied: the token lacks the permission`);
    case 455:
    case 456:
    case 457:
    case 458:
      return stop(FailureType.AccessDenied, `${who} keeps their photos private`);
    case 300:
      return stop(FailureType.AccessDenied, `${album} was not found or is not visible`);
    case 110:
      return stop(FailureType.InvalidInput, `${who} does not exist (invalid user id)`);
    case 120:
      return stop(FailureType.InvalidInput, `${album} does not exist (invalid album id)`);
    case 100:
      return stop(FailureType.InvalidInput, `OK refused a parameter: ${err.okMessage}`);
    case 7:
    case 8:
    case 9:
    case 11:
      // Flood protection / blocked / call limit: back off (the retry policy grows the delay).
      return failure(FailureType.RateLimited, `OK rate limit: ${err.okMessage} (OK error ${code})`);
    default:
      // 1 UNKNOWN, 2 SERVICE, 9999 SYSTEM and anything unknown: OK's own trouble, worth retrying.
      return failure(FailureType.OkError, `OK error ${code}: ${err.okMessage}`);
  }
}
