// copyToCloud: copies a stored plan to one cloud folder. The plan travels by reference (PlanRef) and is
// worked through page by page, each page a child workflow (workflows/copy/page.ts); this workflow only
// sequences pages, sums their outcomes, answers the progress query and continues as new when its own
// history grows. A failed item never fails the copy; cancelling it cancels the running page cleanly.
import { continueAsNew, executeChild, proxyLocalActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { ApplicationFailure } from '@temporalio/common';
import { FailureType, failure } from '../lib/failures';
import {
  copyProgressQuery,
  type CopyItemResult,
  type CopyOptions,
  type CopySummary,
  type DestinationSpec,
  type PlanRef,
} from '../lib/jobs/copy-to-cloud';
import type { CopyActivities, ResolvedCopyOptions } from '../activities/copy/types';
import { copyPageProgressSignal, copyPlanPage } from './copy/page';
import { addTally, appendCapped, emptyTally, progressOf, type PageProgress, type Tally } from './copy/tally';

export { copyPlanPage };

/** Continue as new well before Temporal's own suggestion, so the carried lists stay small too. */
const MAX_OWN_EVENTS = 5000;

/** What one run hands the next when it continues as new. */
interface CarriedState {
  options: ResolvedCopyOptions;
  nextOffset: number;
  done: Tally;
  failures: CopyItemResult[];
  renamed: CopyItemResult[];
}

interface CopyToCloudInput {
  plan: PlanRef;
  destination: DestinationSpec;
  options?: CopyOptions;
  /** Set only by continue-as-new. */
  carried?: CarriedState;
}

const { resolveCopyOptions } = proxyLocalActivities<CopyActivities>({ startToCloseTimeout: '10s' });

function invalid(message: string): ApplicationFailure {
  return failure(FailureType.InvalidInput, message);
}

function validate(input: CopyToCloudInput): void {
  const { plan, destination } = input;
  if (!plan?.planId) throw invalid('plan.planId is required');
  if (!Number.isInteger(plan.total) || plan.total < 0) throw invalid('plan.total must be a non-negative integer');
  if (destination?.cloud !== 'google_drive' && destination?.cloud !== 'yadisk') {
    throw invalid(`destination.cloud must be google_drive or yadisk, got ${String(destination?.cloud)}`);
  }
  if (typeof destination.rootFolder !== 'string') throw invalid('destination.rootFolder must be a string');
  if (destination.credentials?.cloud !== destination.cloud) {
    throw invalid('destination.credentials must be given for the same cloud as destination.cloud');
  }
  const o = input.options ?? {};
  if (o.concurrency !== undefined && !(Number.isInteger(o.concurrency) && o.concurrency >= 1)) {
    throw invalid('options.concurrency must be an integer >= 1');
  }
  if (o.maxAttempts !== undefined && !(Number.isInteger(o.maxAttempts) && o.maxAttempts >= 1)) {
    throw invalid('options.maxAttempts must be an integer >= 1');
  }
}

export async function copyToCloud(input: CopyToCloudInput): Promise<CopySummary> {
  validate(input);
  const { plan, destination } = input;
  const state: CarriedState = input.carried ?? {
    options: await resolveCopyOptions(input.options ?? {}),
    nextOffset: 0,
    done: emptyTally(),
    failures: [],
    renamed: [],
  };
  const running = new Map<number, PageProgress>();
  setHandler(copyPageProgressSignal, (p) => {
    if (p.offset >= state.nextOffset) running.set(p.offset, p);
  });
  setHandler(copyProgressQuery, () => progressOf(plan, state.done, running.values()));

  const { workflowId } = workflowInfo();
  while (state.nextOffset < plan.total) {
    const offset = state.nextOffset;
    const limit = Math.min(state.options.pageSize, plan.total - offset);
    const page = await executeChild(copyPlanPage, {
      workflowId: `${workflowId}/page-${offset}`,
      args: [{ planId: plan.planId, offset, limit, destination, options: state.options }],
    });
    addTally(state.done, page);
    appendCapped(state.failures, page.failures);
    appendCapped(state.renamed, page.renamed);
    running.delete(offset);
    state.nextOffset = offset + limit;

    const info = workflowInfo();
    if (state.nextOffset < plan.total && (info.continueAsNewSuggested || info.historyLength > MAX_OWN_EVENTS)) {
      await continueAsNew<typeof copyToCloud>({ plan, destination, options: input.options, carried: state });
    }
  }
  return {
    planId: plan.planId,
    total: plan.total,
    totalBytes: plan.totalBytes,
    ...state.done,
    failures: state.failures,
    renamed: state.renamed,
  };
}
