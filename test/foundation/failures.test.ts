// The failure vocabulary (lib/failures.ts): failure() types a failure and decides its retries from the
// type; failureReason() reads back the reason a user should see, through Temporal's own wrappers.
import { WorkflowFailedError } from '@temporalio/client';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  RetryState,
  TimeoutFailure,
} from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { failure, failureReason, FailureType, finalFailure, NON_RETRYABLE_FAILURES } from '../../lib/failures';

const inActivity = (cause: Error) =>
  new ActivityFailure('Activity task failed', 'copyFile', '1', RetryState.NON_RETRYABLE_FAILURE, 'worker', cause);
const inChild = (cause: Error) =>
  new ChildWorkflowFailure(
    'default',
    { workflowId: 'w', runId: 'r' },
    'copyToCloud',
    RetryState.RETRY_STATE_UNSPECIFIED,
    cause,
  );

describe('failure()', () => {
  it('makes a final failure of every type no retry can fix, and a retryable one of the rest', () => {
    for (const type of Object.values(FailureType)) {
      expect(failure(type, 'x').nonRetryable, type).toBe(NON_RETRYABLE_FAILURES.includes(type));
    }
    expect(failure(FailureType.TooManyRedirects, 'x', { nonRetryable: true }).nonRetryable).toBe(true);
  });

  it('carries the delay the provider asked for, and the cause when it is an Error', () => {
    const cause = new Error('socket hang up');
    const f = failure(FailureType.RateLimited, 'slow down', { retryAfterMs: 7000, cause });
    expect(f).toMatchObject({ type: 'RateLimited', message: 'slow down', nextRetryDelay: 7000, cause });
    expect(failure(FailureType.DestinationUnavailable, 'x', { cause: 'not an error' }).cause).toBeUndefined();
    expect(failure(FailureType.DestinationUnavailable, 'x').nextRetryDelay).toBeUndefined();
  });
});

describe('failureReason()', () => {
  const typed = failure(FailureType.AccessDenied, 'VK user 1 has a private profile (VK error 30)');

  it('reads the typed failure under activity, child and client wrappers', () => {
    const reason = { type: 'AccessDenied', message: 'VK user 1 has a private profile (VK error 30)' };
    expect(failureReason(typed)).toEqual(reason);
    expect(failureReason(inActivity(typed))).toEqual(reason);
    expect(failureReason(inChild(inActivity(typed)))).toEqual(reason);
    const client = new WorkflowFailedError(
      'Workflow execution failed',
      inChild(typed),
      RetryState.RETRY_STATE_UNSPECIFIED,
    );
    expect(failureReason(client)).toEqual(reason);
  });

  it("keeps a Ferry failure's own message, which already names its cause", () => {
    const network = failure(FailureType.DestinationUnavailable, 'upload PUT: socket hang up', {
      cause: ApplicationFailure.create({ message: 'socket hang up', type: 'Error' }),
    });
    expect(failureReason(inActivity(network))).toEqual({
      type: 'DestinationUnavailable',
      message: 'upload PUT: socket hang up',
    });
  });

  it('explains an error no client typed by its root cause (rootCause)', () => {
    // How Temporal carries `new TypeError('fetch failed', { cause: connectError })` out of an activity.
    const untyped = ApplicationFailure.create({
      message: 'fetch failed',
      type: 'TypeError',
      cause: ApplicationFailure.create({ message: 'connect ECONNREFUSED 127.0.0.1:9', type: 'Error' }),
    });
    expect(failureReason(inActivity(untyped))).toEqual({
      type: 'TypeError',
      message: 'connect ECONNREFUSED 127.0.0.1:9',
    });
  });

  it('types a timeout as Timeout and anything else as Error', () => {
    const timeout = new TimeoutFailure('activity StartToClose timeout', undefined, 'START_TO_CLOSE');
    expect(failureReason(inActivity(timeout))).toEqual({ type: 'Timeout', message: 'activity StartToClose timeout' });
    expect(failureReason(new CancelledFailure('cancelled'))).toEqual({ type: 'Error', message: 'cancelled' });
    expect(failureReason(new Error('boom'))).toEqual({ type: 'Error', message: 'boom' });
    expect(failureReason('a string')).toEqual({ type: 'Error', message: 'a string' });
    expect(failureReason(42)).toEqual({ type: 'Error', message: '42' });
  });

  it('throws a reason again as a final failure, its details kept', () => {
    const f = finalFailure({ type: 'AccessDenied', message: 'no' }, [{ cloud: 'yadisk' }]);
    expect(f).toMatchObject({
      type: 'AccessDenied',
      message: 'no',
      nonRetryable: true,
      details: [{ cloud: 'yadisk' }],
    });
  });
});
