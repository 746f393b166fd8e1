// Drive's answers as typed failures (api-notes: rateLimitExceeded/userRateLimitExceeded come as 403 or
// 429 and mean "back off"; storageQuotaExceeded is final; a 401 that survived a refresh is final).
import type { ApplicationFailure } from '@temporalio/common';
import { failure, FailureType } from '../../../lib/failures';
import { retryAfterMs } from '../../../lib/retry-after';
import { networkFailure } from '../errors';
import { tokenFailure } from './auth';

const RATE_LIMIT_REASONS = new Set([
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'quotaExceeded',
  'dailyLimitExceeded',
]);
const QUOTA_REASONS = new Set(['storageQuotaExceeded', 'teamDriveFileLimitExceeded', 'uploadLimitExceeded']);

export interface GoogleErrorBody {
  error?: { code?: number; message?: string; errors?: { reason?: string; message?: string }[] } | string;
}

export function driveFailure(
  what: string,
  status: number,
  body: unknown,
  retryAfter?: string | null,
): ApplicationFailure {
  const err = (body as GoogleErrorBody | undefined)?.error;
  const reason = typeof err === 'object' ? err.errors?.[0]?.reason : undefined;
  const detail = typeof err === 'object' && err.message ? ` (${err.message})` : '';
  const message = `${what}: Google Drive answered ${status}${reason ? ` ${reason}` : ''}${detail}`;
  if (reason && QUOTA_REASONS.has(reason)) return failure(FailureType.QuotaExhausted, message);
  if (status === 429 || (reason && RATE_LIMIT_REASONS.has(reason)))
    return failure(FailureType.RateLimited, message, { retryAfterMs: retryAfterMs(retryAfter) });
  if (status === 401) return failure(FailureType.AuthRevoked, `${message}; reconnect Google Drive`);
  if (status === 403) return failure(FailureType.AccessDenied, message);
  if (status === 400) return failure(FailureType.InvalidInput, message);
  return failure(FailureType.DestinationUnavailable, message);
}

/** Errors thrown by googleapis (gaxios): a token-endpoint refusal, a Drive error response, or the network. */
export function fromGaxios(what: string, err: unknown): unknown {
  if ((err as { name?: string }).name === 'ApplicationFailure') return err;
  if ((err as { name?: string }).name === 'AbortError') return err;
  const auth = tokenFailure(err);
  if (auth) return auth;
  const res = (err as { response?: { status: number; data: unknown; headers?: unknown } }).response;
  if (res) return driveFailure(what, res.status, res.data, header(res.headers, 'retry-after'));
  return networkFailure(what, err);
}

function header(headers: unknown, name: string): string | null {
  if (!headers) return null;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name);
  const v = (headers as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : null;
}
