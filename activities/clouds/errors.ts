// The cloud adapters' request plumbing: network errors as typed failures, and request deadlines. The
// failure types themselves, and `failure()` that makes them, are lib/failures.ts; Retry-After is
// lib/retry-after.ts.
import type { ApplicationFailure } from '@temporalio/common';
import { failure, FailureType } from '../../lib/failures';

/** Network-level failures (reset, refused, timeout) are transient; an abort is not ours to map. */
export function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR');
}

export function networkFailure(what: string, err: unknown): ApplicationFailure {
  // fetch's own TypeError says only "fetch failed": the socket's error is its cause.
  const detail = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
  return failure(FailureType.DestinationUnavailable, `${what}: ${detail}`, { cause: err });
}

/** A metadata call that has not answered in this long is treated as a dropped connection. */
export const REQUEST_TIMEOUT_MS = 60_000;
/** One upload request (a Drive chunk, a multipart body) may take this long on a slow link. */
export const UPLOAD_TIMEOUT_MS = 10 * 60_000;

/**
 * The caller's signal plus a deadline: the engine heartbeats on a timer, so a request that hangs
 * would otherwise keep an attempt alive forever.
 */
export function withTimeout(signal: AbortSignal | undefined, ms: number): AbortSignal {
  return signal ? AbortSignal.any([signal, AbortSignal.timeout(ms)]) : AbortSignal.timeout(ms);
}

/**
 * withTimeout's deadline, cleared when the request is over. `AbortSignal.timeout` cannot be cancelled:
 * its timer stays armed for the whole `ms`, and with it the signal and every abort listener fetch hung on
 * it (the request, its response, their buffers). At 100 files/s with a 10-minute upload deadline that is
 * a minute's 6,000 finished requests held per minute, the whole transfer's for anything shorter than
 * 10 minutes (docs/deploy.md#worker-memory). Call `clear()` once the response has been read.
 */
export function deadline(signal: AbortSignal | undefined, ms: number): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    ms,
  );
  const follow = () => controller.abort(signal!.reason);
  if (signal?.aborted) follow();
  else signal?.addEventListener('abort', follow, { once: true });
  return {
    signal: controller.signal,
    clear() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', follow);
    },
  };
}
