// Google's error JSON, as Drive sends it: {"error":{"code","message","errors":[{domain,reason,message}]}}.
import type { ServerResponse } from 'node:http';
import { sendJson } from './http-kit';

const REASONS: Record<string, [domain: string, message: string]> = {
  userRateLimitExceeded: ['usageLimits', 'User Rate Limit Exceeded'],
  rateLimitExceeded: ['usageLimits', 'Rate Limit Exceeded'],
  storageQuotaExceeded: ['usageLimits', "The user's Drive storage quota has been exceeded."],
  internalError: ['global', 'Internal Error'],
  backendError: ['global', 'Backend Error'],
  notFound: ['global', 'Not Found'],
  authError: ['global', 'Invalid Credentials'],
  invalid: ['global', 'Invalid Value'],
  badRequest: ['global', 'Bad Request'],
};
const DEFAULT_REASON: Record<number, string> = {
  400: 'badRequest',
  401: 'authError',
  403: 'userRateLimitExceeded',
  404: 'notFound',
  429: 'rateLimitExceeded',
  500: 'internalError',
  503: 'backendError',
};

/** Answers with Google's error JSON; `reason` defaults by status (403 -> userRateLimitExceeded). */
export function googleError(
  res: ServerResponse,
  status: number,
  reason?: string,
  message?: string,
  headers: Record<string, string> = {},
) {
  const r = reason ?? DEFAULT_REASON[status] ?? 'internalError';
  const [domain, defaultMessage] = REASONS[r] ?? ['global', r];
  const msg = message ?? defaultMessage;
  const error: Record<string, unknown> = {
    code: status,
    message: msg,
    errors: [{ message: msg, domain, reason: r }],
  };
  if (status === 401) error.status = 'UNAUTHENTICATED';
  if (status === 401) headers = { ...headers, 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' };
  sendJson(res, status, { error }, headers);
}
