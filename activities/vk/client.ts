// The VK API client (vk-io) and the translation of VK's error codes into Ferry's failure types, so the
// workflow decides on a type ("private profile: stop", "flood control: back off"), never on a code.
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { ApplicationFailure } from '@temporalio/common';
import { API, APIError } from 'vk-io';
import { failure, FailureType } from '../../lib/failures';

interface VkClientOptions {
  baseUrl: string;
  token: string;
  /** Requests per second per token; VK allows 3 for a user token. */
  requestsPerSecond: number;
}

// One API object per token per worker process: vk-io paces the calls of one object, so every
// activity using the same token shares the same 3 requests/s budget instead of each having its own.
const clients = new Map<string, API>();

export function vkApi(options: VkClientOptions): API {
  const id = createHash('sha256')
    .update(`${options.baseUrl}\n${options.token}\n${options.requestsPerSecond}`)
    .digest('hex');
  let api = clients.get(id);
  if (!api) {
    api = new API({
      token: options.token,
      apiBaseUrl: options.baseUrl.replace(/\/+$/, ''),
      // vk-io uses https.globalAgent by default, which refuses an http:// base (a local stand-in).
      agent: (options.baseUrl.startsWith('http:')
        ? new http.Agent({ keepAlive: true })
        : new https.Agent({ keepAlive: true })) as https.Agent,
      apiLimit: options.requestsPerSecond,
      apiMode: 'sequential',
      // Network errors: a couple of quick retries here, then the activity's own retry with backoff.
      apiRetryLimit: 2,
      apiWait: 1000,
      apiTimeout: 20_000,
    });
    clients.set(id, api);
  }
  return api;
}

/** The failure for a VK error code, or undefined for codes that are not VK errors we know. */
export function vkFailure(err: unknown, context: { user: string; album?: string }): ApplicationFailure {
  if (!(err instanceof APIError)) {
    // Network errors, timeouts, malformed answers: retried with the activity's backoff.
    const message = err instanceof Error ? err.message : String(err);
    return failure(FailureType.VkUnavailable, `VK API unreachable: ${message}`);
  }
  const code = Number(err.code);
  const vkMessage = err.message.replace(/^Code №\d+ - /, ''); // vk-io prefixes the code we print anyway
  const who = `VK user ${context.user}`;
  const nonRetryable = (type: FailureType, message: string) =>
    failure(type, `${message} (VK error ${code})`, { nonRetryable: true });
  switch (code) {
    case 5:
      return nonRetryable(FailureType.AuthRevoked, 'VK rejected the access token: get a new one and try again');
    case 18:
      return nonRetryable(FailureType.SourceNotFound, `${who} was deleted or banned`);
    case 30:
      return nonRetryable(FailureType.AccessDenied, `${who} has a private profile`);
    case 113:
      return nonRetryable(FailureType.InvalidInput, `${who} does not exist (invalid user id)`);
    case 200:
    case 15:
      return nonRetryable(
        FailureType.AccessDenied,
        `access to album ${context.album ?? ''} of ${who} is denied`.replace('album  ', 'the album '),
      );
    case 100:
      return nonRetryable(FailureType.InvalidInput, `VK refused a parameter: ${err.message}`);
    case 14:
      return nonRetryable(FailureType.AccessDenied, 'VK asks for a captcha: try again later');
    case 6:
    case 9:
    case 29:
      // Too many requests / flood control / method quota: back off (the retry policy grows the delay).
      return failure(FailureType.RateLimited, `VK rate limit: ${vkMessage} (VK error ${code})`);
    default:
      // 10 (internal error) and anything unknown: VK's own trouble, worth retrying.
      return failure(FailureType.VkError, `VK error ${code}: ${vkMessage}`);
  }
}
