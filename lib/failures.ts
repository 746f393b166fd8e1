// Ferry's failure vocabulary: every failure type, named once and shared by activities, workflows, the
// API and the CLI. Activities throw `failure(type, message)` at the edge of each client; workflows,
// status answers and exit codes decide on the type, never on an HTTP code, and read a failure back with
// `failureReason`. Safe to import from workflows (no Node built-in, no I/O).
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  rootCause,
  TemporalFailure,
  TimeoutFailure,
} from '@temporalio/common';

export const FailureType = {
  // Final: no retry can fix these (NON_RETRYABLE_FAILURES).
  /** Bad input from the user or a source (schema, URL, id). Never retried. */
  InvalidInput: 'InvalidInput',
  /** The source object is gone (404/410). Never retried. */
  SourceNotFound: 'SourceNotFound',
  /** The destination has no space left. Never retried. */
  QuotaExhausted: 'QuotaExhausted',
  /** The token was revoked or is invalid even after a refresh. Never retried. */
  AuthRevoked: 'AuthRevoked',
  /** Access to the object is denied (private profile, album denied, forbidden host). Never retried. */
  AccessDenied: 'AccessDenied',
  /** A target outside the allowlists or a private address (SSRF guard). Never retried. */
  ForbiddenTarget: 'ForbiddenTarget',
  /** The authorization request expired or was refused by the user. */
  AuthorizationExpired: 'AuthorizationExpired',
  AuthorizationDenied: 'AuthorizationDenied',
  /** A provider refused Ferry's own configuration (app key, request signature): the operator must fix it. Never retried. */
  ConfigurationError: 'ConfigurationError',

  // Retried with the policy's backoff (or the delay the provider asked for).
  /** Bytes did not match the expected size/checksum. Retried: the next read may be good. */
  ChecksumMismatch: 'ChecksumMismatch',
  /** The provider asked us to slow down. Retried after the delay it asked for (Retry-After). */
  RateLimited: 'RateLimited',
  /** A transient destination problem (5xx, a dropped connection, a lock). */
  DestinationUnavailable: 'DestinationUnavailable',
  /** Yandex could not fetch the source itself (upload from URL): the engine may stream it instead. */
  RemoteFetchFailed: 'RemoteFetchFailed',
  /** A source that answered 5xx, sent a wrong range, or could not be reached. */
  SourceUnavailable: 'SourceUnavailable',
  /** A source host whose name did not resolve for a transient reason (ENOTFOUND is SourceNotFound). */
  DnsError: 'DnsError',
  /** A source that redirected more than MAX_REDIRECTS times (thrown non-retryable). */
  TooManyRedirects: 'TooManyRedirects',
  GalleryUnavailable: 'GalleryUnavailable',
  /** The gallery never acknowledged the done call before its deadline: the transfer itself finished. */
  GalleryNotNotified: 'GalleryNotNotified',
  /** An OAuth token endpoint (code exchange, revocation) that answered 5xx or could not be reached. */
  OAuthUnavailable: 'OAuthUnavailable',
  ItResumeUnavailable: 'ItResumeUnavailable',
  SheetsUnavailable: 'SheetsUnavailable',
  VkUnavailable: 'VkUnavailable',
  /** A VK error code Ferry does not map to a type of its own. */
  VkError: 'VkError',
  OkUnavailable: 'OkUnavailable',
  /** An OK error code Ferry does not map to a type of its own. */
  OkError: 'OkError',
  /** An OK answer that breaks the documented protocol (a page without its fields, endless paging). */
  OkProtocolError: 'OkProtocolError',

  // The cloudArchive workflow's authorize update refused (the API maps them to answers).
  AuthorizationAlreadyUsed: 'AuthorizationAlreadyUsed',
  AuthorizationWrongProvider: 'AuthorizationWrongProvider',

  // Only reported (failureReason), never thrown by Ferry.
  /** A Temporal timeout (an activity's start-to-close or heartbeat, a child's run). */
  Timeout: 'Timeout',
  /** An error no client typed (a library's own, a bug). */
  Error: 'Error',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Types that a retry cannot fix: put them in every retry policy's nonRetryableErrorTypes. */
export const NON_RETRYABLE_FAILURES: FailureType[] = [
  FailureType.InvalidInput,
  FailureType.SourceNotFound,
  FailureType.QuotaExhausted,
  FailureType.AuthRevoked,
  FailureType.AccessDenied,
  FailureType.ForbiddenTarget,
  FailureType.AuthorizationExpired,
  FailureType.AuthorizationDenied,
  FailureType.ConfigurationError,
];

export interface FailureOptions {
  /** Default: whether `type` is one of NON_RETRYABLE_FAILURES. */
  nonRetryable?: boolean;
  /** The delay the provider asked for before the next attempt (Retry-After), in milliseconds. */
  retryAfterMs?: number;
  /** The error this failure explains; kept when it is an Error. */
  cause?: unknown;
  details?: unknown[];
}

/** The one way Ferry creates a failure: a typed ApplicationFailure. */
export function failure(type: FailureType, message: string, opts: FailureOptions = {}): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: opts.nonRetryable ?? NON_RETRYABLE_FAILURES.includes(type),
    ...(opts.retryAfterMs !== undefined && { nextRetryDelay: opts.retryAfterMs }),
    ...(opts.cause instanceof Error && { cause: opts.cause }),
    ...(opts.details && { details: opts.details }),
  });
}

export interface FailureReason {
  type: string;
  message: string;
}

/** The types Ferry throws (Timeout and Error are only reported): each names a failure Ferry typed. */
const THROWN_TYPES: ReadonlySet<string> = new Set(
  Object.values(FailureType).filter((t) => t !== FailureType.Timeout && t !== FailureType.Error),
);

/**
 * What a user should read about a failure: its type and message, not those of the wrappers around it
 * ("Activity task failed", "Child Workflow execution failed", a client's "Workflow execution failed").
 * The failure under the wrappers is the outermost ApplicationFailure: one of Ferry's types speaks for
 * itself (its message names its own cause); any other (an error no client typed, which Temporal
 * converted under its class name) and anything that is no ApplicationFailure (a timeout, a
 * cancellation) is explained by the SDK's `rootCause`, the bottom of the chain ("connect ECONNREFUSED",
 * not "fetch failed").
 */
export function failureReason(err: unknown): FailureReason {
  let e = err;
  // A client's WorkflowFailedError / WorkflowUpdateFailedError is no TemporalFailure; its cause is.
  if (!(e instanceof TemporalFailure) && e instanceof Error && e.cause instanceof TemporalFailure) e = e.cause;
  while ((e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure && e.type && THROWN_TYPES.has(e.type))
    return { type: e.type, message: e.message };
  const message = rootCause(e) || (e instanceof Error ? e.message : String(e));
  if (e instanceof ApplicationFailure) return { type: e.type || FailureType.Error, message };
  return { type: e instanceof TimeoutFailure ? FailureType.Timeout : FailureType.Error, message };
}

/** A reason read with failureReason, thrown again as a workflow's own final failure (never retried). */
export function finalFailure(reason: FailureReason, details?: unknown[]): ApplicationFailure {
  return ApplicationFailure.create({
    type: reason.type,
    message: reason.message,
    nonRetryable: true,
    ...(details && { details }),
  });
}
