// One page of a copy plan (500 items by default) as a child workflow of copyToCloud: a bounded pool of
// copyFile activities, one per item, each with its own retry policy. Keeping a page to its own history
// is what lets a 20,000-item plan stay far below Temporal's 10,240-event warning in every workflow.
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  defineSignal,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { CopyItemResult, CopyPlanItem, DestinationSpec } from '../../lib/copy-plan';
import { NON_RETRYABLE_FAILURES } from '../../lib/failures';
import type { CopyActivities, ResolvedCopyOptions } from '../../activities/copy/types';
import { countResult, emptyTally, type PageProgress, type PageSummary } from './tally';

export const copyPageProgressSignal = defineSignal<[PageProgress]>('copyPageProgress');

/** How often (workflow time) a page tells its parent how far it got: the progress query's lag. */
const REPORT_EVERY_MS = 2000;

export interface CopyPageInput {
  planId: string;
  offset: number;
  limit: number;
  destination: DestinationSpec;
  options: ResolvedCopyOptions;
}

const { readPlanPage, recordCopyResult } = proxyActivities<CopyActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 10 },
});

const { findPresent } = proxyActivities<CopyActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '1s',
    maximumInterval: '30s',
    maximumAttempts: 5,
    nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
  },
});

/** Probing is metadata only: it may run wider than the copies themselves. */
const PROBE_WIDTH = 4;

/** The reason an item failed, from the activity's last failure (typed by the activity). */
function failedResult(item: CopyPlanItem, err: unknown): CopyItemResult {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  let type = 'Error';
  if (cause instanceof ApplicationFailure) type = cause.type ?? 'Error';
  else if (cause instanceof TimeoutFailure) type = 'Timeout';
  const message = cause instanceof Error ? cause.message : String(cause);
  return { key: item.key, relPath: item.relPath, status: 'failed', bytes: 0, error: { type, message } };
}

export async function copyPlanPage(input: CopyPageInput): Promise<PageSummary> {
  const { options } = input;
  const { copyFile } = proxyActivities<CopyActivities>({
    // Large files may take hours; a dead worker is noticed through the heartbeat timeout instead.
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: `${options.heartbeatTimeoutSeconds ?? 30}s`,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '2 minutes',
      maximumAttempts: options.maxAttempts,
      nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
    },
  });

  const items = await readPlanPage(input.planId, input.offset, input.limit);
  const tally = emptyTally();
  const failures: CopyItemResult[] = [];
  const renamed: CopyItemResult[] = [];
  const current = new Set<string>();
  const parentId = workflowInfo().parent?.workflowId;
  let lastReport = Date.now();

  const report = () => {
    if (!parentId || Date.now() - lastReport < REPORT_EVERY_MS) return;
    lastReport = Date.now();
    const progress: PageProgress = { offset: input.offset, ...tally, current: [...current] };
    // Best effort: a lost progress report only delays the query's numbers until the page ends.
    void getExternalWorkflowHandle(parentId)
      .signal(copyPageProgressSignal, progress)
      .catch(() => undefined);
  };

  // Items a previous run (or attempt of this page) already copied cost no activity of their own.
  const present = await findPresent({
    planId: input.planId,
    offset: input.offset,
    items,
    destination: input.destination,
    concurrency: options.concurrency * PROBE_WIDTH,
  });
  tally.alreadyThere += present.alreadyThere;
  tally.bytesDone += present.bytes;
  renamed.push(...present.renamed);

  let next = 0;
  const lane = async () => {
    while (next < present.missing.length) {
      const index = present.missing[next++]!;
      const seq = input.offset + index;
      const item = items[index]!;
      current.add(item.relPath);
      let result: CopyItemResult;
      try {
        result = await copyFile({
          planId: input.planId,
          seq,
          item,
          destination: input.destination,
          options: {
            serverSideUpload: options.serverSideUpload,
            allowedSourceHosts: options.allowedSourceHosts,
            allowPrivateNetwork: options.allowPrivateNetwork,
          },
        });
      } catch (err) {
        if (isCancellation(err)) throw err;
        // A failed item never fails the copy: it is counted, reported and stored.
        result = failedResult(item, err);
        await recordCopyResult({ planId: input.planId, destination: input.destination, seq, result });
      } finally {
        current.delete(item.relPath);
      }
      countResult(tally, result);
      if (result.status === 'failed') failures.push(result);
      if (result.renamedFrom) renamed.push(result);
      report();
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, present.missing.length) }, lane));
  return { offset: input.offset, ...tally, failures, renamed };
}
