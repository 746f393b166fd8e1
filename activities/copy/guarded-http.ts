// HTTP requests to user- and provider-supplied URLs, under the SSRF guard (url-guard.ts): every hop's
// URL is checked before a byte is sent, every connection's address when it connects, and redirects are
// followed by hand, a bounded number of times. node:http rather than fetch: Node's built-in fetch
// (undici) takes no per-request lookup, and the source is the hot path of every copy (a plain Node
// stream, no web-stream conversion per chunk).
import type { IncomingMessage } from 'node:http';
import { failure, FailureType } from '../../lib/failures';
import {
  checkTarget,
  clientFor,
  dnsFailure,
  guardedConnection,
  guardFailure,
  type FetchGuardOptions,
} from './url-guard';

export const MAX_REDIRECTS = 5;

interface GuardedRequestOptions {
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** No response (headers) within this long fails the request. */
  timeoutMs?: number;
}

/**
 * One request to `url`. Rejects with a ForbiddenTarget failure when the guard refuses the URL or the
 * address, SourceNotFound/DnsError when the name does not resolve, or the raw socket error otherwise
 * (the caller types it: a source, a listing and a size probe fail differently).
 */
export function guardedRequest(
  url: string | URL,
  guard: FetchGuardOptions,
  options: GuardedRequestOptions = {},
): Promise<IncomingMessage> {
  const target = checkTarget(url, guard);
  return new Promise((resolve, reject) => {
    const req = clientFor(target).request(
      target,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        signal: options.signal,
        ...guardedConnection(target, guard),
      },
      resolve,
    );
    if (options.timeoutMs) {
      const timer = setTimeout(
        () => req.destroy(new Error(`no answer from ${target.host} in ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
      req.once('response', () => clearTimeout(timer));
      req.once('close', () => clearTimeout(timer));
    }
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (options.signal?.aborted) return reject(err);
      const refused = guardFailure(err);
      if (refused) return reject(refused);
      if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return reject(dnsFailure(target.hostname, err));
      reject(err);
    });
    req.end();
  });
}

const header = (res: IncomingMessage, name: string): string | undefined => {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * Follows redirects by hand: each Location is resolved against the hop that sent it and goes through
 * the guard again (an allowed host may redirect to 169.254.169.254). Answers the first non-redirect
 * response and the URL it came from. More than `maxRedirects` hops fails non-retryably.
 */
export async function guardedFollow(
  url: string,
  guard: FetchGuardOptions,
  options: GuardedRequestOptions = {},
  maxRedirects = MAX_REDIRECTS,
): Promise<{ res: IncomingMessage; url: string }> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const res = await guardedRequest(current, guard, options);
    const status = res.statusCode ?? 0;
    const location = header(res, 'location');
    if (status < 300 || status > 399 || !location) return { res, url: current };
    res.resume();
    if (hop >= maxRedirects) {
      throw failure(FailureType.TooManyRedirects, `${new URL(url).host} redirected more than ${maxRedirects} times`, {
        nonRetryable: true,
      });
    }
    current = new URL(location, current).toString();
  }
}

export { header as responseHeader };
