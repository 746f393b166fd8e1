// The IT Resume statistics client: one GET per interval (no pagination), the body streamed item by
// item. Failures are mapped to Ferry's failure types here, at the edge, so the workflow decides on
// types: 5xx, 429 and network errors are retryable (429/503 with the delay Retry-After asks for),
// other 4xx and an `{"errors": ...}` body are not.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ApplicationFailure } from '@temporalio/common';
import { failure, FailureType } from '../../lib/failures';
import { retryAfterMs } from '../../lib/retry-after';
import { JsonStreamError, splitJsonArray, type StreamItem } from './json-array-stream';

export interface ItResumeCredentials {
  baseUrl: string;
  client: string;
  clientKey: string;
}

/** IT Resume's time format: UTC `YYYY-MM-DD HH:MM:SS.ffffff`. */
export function itResumeTime(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '000');
}

const describeErrors = (errors: unknown) => (typeof errors === 'string' ? errors : JSON.stringify(errors));

async function failureFor(res: IncomingMessage): Promise<ApplicationFailure> {
  let text = '';
  try {
    for await (const chunk of res) {
      text += (chunk as Buffer).toString('utf8');
      if (text.length > 500) break;
    }
  } catch {
    // The body is only for the message.
  }
  text = text.slice(0, 500);
  let detail = text;
  try {
    const body = JSON.parse(text) as { errors?: unknown; detail?: unknown };
    if (body && typeof body === 'object' && 'errors' in body) detail = describeErrors(body.errors);
  } catch {
    // Not JSON: keep the text.
  }
  const status = res.statusCode ?? 0;
  const message = `IT Resume API answered ${status}: ${detail || res.statusMessage}`;
  const header = res.headers['retry-after'];
  const wait = retryAfterMs(typeof header === 'string' ? header : null);
  if (status === 429) return failure(FailureType.RateLimited, message, { retryAfterMs: wait });
  if (status >= 500) return failure(FailureType.ItResumeUnavailable, message, { retryAfterMs: wait });
  return failure(status === 401 || status === 403 ? FailureType.AuthRevoked : FailureType.InvalidInput, message);
}

/** The body's chunks, adding the time spent waiting for each to `clock.networkMs`. */
async function* timedChunks(res: IncomingMessage, clock: { networkMs: number }): AsyncGenerator<Buffer> {
  const chunks = res[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  for (;;) {
    const asked = performance.now();
    const next = await chunks.next();
    clock.networkMs += performance.now() - asked;
    if (next.done) return;
    yield next.value;
  }
}

/**
 * Fetches the statistics of [start, end) and yields the array's items as they arrive, in batches.
 * Throws ApplicationFailure (typed, see above) or a plain Error for network problems (retryable).
 * `clock.networkMs` (optional) grows by the time spent waiting on the network: the reply, each chunk.
 */
export async function* fetchStatistics(
  creds: ItResumeCredentials,
  window: { start: Date; end: Date },
  signal?: AbortSignal,
  clock?: { networkMs: number },
): AsyncGenerator<StreamItem[]> {
  const url = new URL(creds.baseUrl);
  url.searchParams.set('client', creds.client);
  url.searchParams.set('client_key', creds.clientKey);
  url.searchParams.set('start', itResumeTime(window.start));
  url.searchParams.set('end', itResumeTime(window.end));
  // node:http rather than fetch: the body arrives as Node Buffers, without a web-stream layer per chunk.
  const asked = performance.now();
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { headers: { accept: 'application/json' }, signal }, resolve);
    req.on('error', reject);
    req.end();
  });
  if (clock) clock.networkMs += performance.now() - asked;
  const status = res.statusCode ?? 0;
  if (status < 200 || status >= 300) throw await failureFor(res);
  try {
    for await (const batch of splitJsonArray(clock ? timedChunks(res, clock) : res)) {
      const item = batch[0]!;
      if (item.kind === 'object') {
        const body = item.value as { errors?: unknown } | null;
        const detail =
          body && typeof body === 'object' && 'errors' in body
            ? describeErrors(body.errors)
            : `an object instead of an array: ${JSON.stringify(body).slice(0, 300)}`;
        throw failure(FailureType.InvalidInput, `IT Resume API returned errors: ${detail}`);
      }
      yield batch;
    }
  } catch (err) {
    if (err instanceof JsonStreamError && !err.truncated) {
      throw failure(FailureType.InvalidInput, `IT Resume API sent malformed JSON: ${err.message}`);
    }
    throw err;
  } finally {
    // A consumer that stopped early (a failed COPY) must not leave the socket open.
    res.destroy();
  }
}
