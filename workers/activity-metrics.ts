// Counts every failed activity attempt of every job in ferry_activity_failures_total, by activity type
// and failure type: a gallery listing that is gone, a VK token that expired, an ETL source that
// answered 500. (Per-file copy failures, which a batch reports without failing, are ferry_failures_total.)
// A cancellation is not a failure, and is not counted.
import type { Context as ActivityContext } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptors } from '@temporalio/worker';
import { recordActivityFailure } from '../lib/metrics';

export function countActivityFailures(ctx: ActivityContext): ActivityInterceptors {
  return {
    inbound: {
      async execute(input, next) {
        try {
          return await next(input);
        } catch (err) {
          if (!(err instanceof CancelledFailure)) recordActivityFailure(ctx.info.activityType, err);
          throw err;
        }
      },
    },
  };
}
