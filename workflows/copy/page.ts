// One page of a copy plan (500 items by default) as a child workflow of copyToCloud: a history of its
// own is what keeps a 20,000-item plan far below Temporal's 10,240-event warning. The items a previous
// run already copied are found in one activity; the rest are planned into units (page-plan.ts) and
// copied with at most `concurrency` files in flight (page-scheduler.ts). docs/copy-engine.md#design.
import { defineSignal, getExternalWorkflowHandle, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { DestinationSpec } from '../../lib/jobs/copy-to-cloud';
import { NON_RETRYABLE_FAILURES } from '../../lib/failures';
import type { CopyActivities, ResolvedCopyOptions } from '../../activities/copy/types';
import { planUnits } from './page-plan';
import { PageResults } from './page-results';
import { copyUnits } from './page-scheduler';
import type { PageProgress, PageSummary } from './tally';

export const copyPageProgressSignal = defineSignal<[PageProgress]>('copyPageProgress');

interface CopyPageInput {
  planId: string;
  offset: number;
  limit: number;
  destination: DestinationSpec;
  options: ResolvedCopyOptions;
}

const { readPlanPage } = proxyActivities<CopyActivities>({
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

export async function copyPlanPage(input: CopyPageInput): Promise<PageSummary> {
  const { planId, offset, destination, options } = input;
  const items = await readPlanPage(planId, offset, input.limit);
  const results = new PageResults(offset, progressReporter());

  // Items a previous run (or attempt of this page) already copied cost no activity of their own.
  const concurrency = options.concurrency * PROBE_WIDTH;
  const present = await findPresent({ planId, offset, items, destination, concurrency });
  results.addPresent(present);

  const units = planUnits(items, present.missing, options);
  await copyUnits({ planId, offset, items, destination, options }, units, results);
  return results.summary();
}

/** Signals the parent (copyToCloud), best effort: a lost report only delays the query's numbers until the page ends. */
function progressReporter(): ((progress: PageProgress) => void) | undefined {
  const parentId = workflowInfo().parent?.workflowId;
  if (!parentId) return undefined;
  return (progress) =>
    void getExternalWorkflowHandle(parentId)
      .signal(copyPageProgressSignal, progress)
      .catch(() => undefined);
}
