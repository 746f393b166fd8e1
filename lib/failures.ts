// Failure types shared by activities, workflows and the API. Activities throw
// ApplicationFailure with one of these types; workflows and status mapping decide on the type, never
// on an HTTP code. Safe to import from workflows (no I/O).
export const FailureType = {
  /** Bad input from the user or a source (schema, URL, id). Never retried. */
  InvalidInput: 'InvalidInput',
  /** The source object is gone (404/410). Never retried. */
  SourceNotFound: 'SourceNotFound',
  /** Bytes did not match the expected size/checksum. Retried: the next read may be good. */
  ChecksumMismatch: 'ChecksumMismatch',
  /** The destination has no space left. Never retried. */
  QuotaExhausted: 'QuotaExhausted',
  /** The token was revoked or is invalid even after a refresh. Never retried. */
  AuthRevoked: 'AuthRevoked',
  /** Access to the object is denied (private profile, album denied, forbidden host). Never retried. */
  AccessDenied: 'AccessDenied',
  /** The provider asked us to slow down. Retried after the delay it asked for. */
  RateLimited: 'RateLimited',
  /** A target outside the allowlists or a private address (SSRF guard). Never retried. */
  ForbiddenTarget: 'ForbiddenTarget',
  /** The authorization request expired or was refused by the user. */
  AuthorizationExpired: 'AuthorizationExpired',
  AuthorizationDenied: 'AuthorizationDenied',
  /** A provider refused Ferry's own configuration (app key, request signature): the operator must fix it. Never retried. */
  ConfigurationError: 'ConfigurationError',
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
