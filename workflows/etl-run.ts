// etlRun: the daily ETL, or a backfill of a date range, as one workflow. Each UTC day is one window:
// extract + load (one transaction) -> per-day figures in SQL -> the day's sheet row -> the window's
// row in etl_runs. Then the log retention and the report e-mail; on failure, a failure e-mail with
// the reason. A backfill is resumable for free: a window whose activities completed is in the
// history, so a worker killed in day 17 of 30 resumes at day 17 on any worker.
import { ContinueAsNew, continueAsNew, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { EtlActivities } from '../activities/etl/types';
import { dayWindow, rangeProblems, runDays, utcDay } from '../lib/etl-windows';
import { failure, failureReason, FailureType, NON_RETRYABLE_FAILURES } from '../lib/failures';
import type { DayFigures, EtlRunInput, EtlRunResult, RunTrigger, WindowReport } from '../lib/jobs/etl-run';

const nonRetryableErrorTypes = NON_RETRYABLE_FAILURES;
const ScheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

// Each stage with the retry policy its failures call for.
const extract = proxyActivities<EtlActivities>({
  // A day of a busy course is large; the heartbeat, not this timeout, detects a dead worker.
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '20s',
  // 5xx / 429 / network: exponential backoff (429 and 503 wait what Retry-After says).
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '5m',
    maximumAttempts: 6,
    nonRetryableErrorTypes,
  },
});
const db = proxyActivities<EtlActivities>({
  startToCloseTimeout: '1m',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 10,
    nonRetryableErrorTypes,
  },
});
const sheets = proxyActivities<EtlActivities>({
  startToCloseTimeout: '2m',
  // Google asks for 2^n s backoff on rate limits.
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    maximumAttempts: 6,
    nonRetryableErrorTypes,
  },
});
const mail = proxyActivities<EtlActivities>({
  startToCloseTimeout: '1m',
  retry: {
    initialInterval: '5s',
    backoffCoefficient: 2,
    maximumInterval: '2m',
    maximumAttempts: 5,
    nonRetryableErrorTypes,
  },
});

export async function etlRun(input: EtlRunInput = {}): Promise<EtlRunResult> {
  const { workflowId } = workflowInfo();
  const scheduledAt = workflowInfo().typedSearchAttributes.get(ScheduledStartTime);
  const now = scheduledAt ?? new Date();
  const trigger: RunTrigger = input.trigger ?? (scheduledAt ? 'schedule' : input.start ? 'backfill' : 'manual');
  const windows: WindowReport[] = [...(input.carried?.windows ?? [])];
  const figures: DayFigures[] = [...(input.carried?.days ?? [])];
  let current: string | undefined;

  try {
    const problems = rangeProblems(input, utcDay(now));
    if (problems.length) {
      throw failure(FailureType.InvalidInput, problems.map((p) => `${p.field}: ${p.message}`).join('; '));
    }
    const days = runDays(input, now);
    for (const [i, day] of days.entries()) {
      current = day;
      const window = dayWindow(day, i === 0 && !input.carried ? (input.lookbackHours ?? 3) : 0);
      const runId = await db.etlBeginWindow({ workflowId, trigger, window });
      try {
        const counts = await extract.etlExtractLoad({ workflowId, runId, window });
        const touched = await db.etlAggregate({ workflowId, from: window.start.slice(0, 10), to: day });
        // The lookback day's figures are complete only if that day was loaded before: update, never append.
        await sheets.etlWriteSheet({
          workflowId,
          rows: touched.filter((d) => d.date === day),
          updateOnly: touched.filter((d) => d.date !== day),
        });
        await db.etlFinishWindow({ workflowId, runId, day, status: 'succeeded' });
        windows.push({ day, ...counts });
        figures.push(...touched.filter((d) => d.date === day));
      } catch (err) {
        await db.etlFinishWindow({ workflowId, runId, day, status: 'failed', error: failureReason(err).message });
        throw err;
      }
      current = undefined;
      const next = days[i + 1];
      if (next && workflowInfo().continueAsNewSuggested) {
        await continueAsNew<typeof etlRun>({
          ...input,
          trigger,
          start: next,
          end: days.at(-1),
          carried: { windows, days: figures },
        });
      }
    }
    await db.etlPruneLogs({ workflowId });
    await mail.etlSendReport({ workflowId, days: figures, windows });
    return { workflowId, days: figures, windows };
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    const reason = failureReason(err).message;
    try {
      await db.etlPruneLogs({ workflowId });
      await mail.etlSendFailure({ workflowId, window: current, reason });
    } catch (mailErr) {
      log.error('could not send the ETL failure e-mail', { reason: failureReason(mailErr).message });
    }
    throw err;
  }
}
