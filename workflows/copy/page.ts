// One page of a copy plan (500 items by default) as a child workflow of copyToCloud. Small files go in
// batches (one copyBatch activity each, one attempt per file); large ones, and any file that failed in
// a batch, get a copyFile activity of their own with the full retry policy. At most `concurrency` files
// are in flight. Keeping a page to its own history is what lets a 20,000-item plan stay far below
// Temporal's 10,240-event warning in every workflow.
import {
  ActivityCancellationType,
  condition,
  defineSignal,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { CopyItemResult, CopyPlanItem, DestinationSpec } from '../../lib/jobs/copy-to-cloud';
import { NON_RETRYABLE_FAILURES, failureReason } from '../../lib/failures';
import { briefFailure } from '../../lib/text-limits';
import type { CopyActivities, CopyBatchResult, ResolvedCopyOptions } from '../../activities/copy/types';
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

/** Files of one batch copied at once: several batches in flight keep the link busy while one finishes. */
const BATCH_WIDTH = 4;

/** The first retry of a file that failed in a batch waits as copyFile's own first retry would. */
const FIRST_RETRY_DELAY_MS = 1000;

/** Work for one activity: a batch of small files, or one file (large, unknown size, or a batch's retry). */
type Unit = { kind: 'batch'; indexes: number[] } | { kind: 'single'; index: number; retryOf?: { delayMs: number } };

/** The reason an item failed, from the activity's last failure (typed by the activity). */
function failedResult(item: CopyPlanItem, err: unknown): CopyItemResult {
  return { key: item.key, relPath: item.relPath, status: 'failed', bytes: 0, error: failureReason(err) };
}

export async function copyPlanPage(input: CopyPageInput): Promise<PageSummary> {
  const { options } = input;
  const copyOptions = (maximumAttempts: number) => ({
    // Large files may take hours; a dead worker is noticed through the heartbeat timeout instead.
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: `${options.heartbeatTimeoutSeconds ?? 30}s`,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '2 minutes',
      maximumAttempts,
      nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
    },
  });
  const { copyFile } = proxyActivities<CopyActivities>(copyOptions(options.maxAttempts));
  const { copyFile: copyFileRetry } = proxyActivities<CopyActivities>(
    copyOptions(Math.max(1, options.maxAttempts - 1)),
  );
  // A batch's own attempts only cover its worker dying: its files' failures come back as results.
  const { copyBatch } = proxyActivities<CopyActivities>(copyOptions(3));

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

  const finish = (result: CopyItemResult) => {
    countResult(tally, result);
    if (result.status === 'failed') failures.push(briefFailure(result));
    if (result.renamedFrom) renamed.push(result);
    report();
  };
  const fileOptions = {
    serverSideUpload: options.serverSideUpload,
    allowedSourceHosts: options.allowedSourceHosts,
    allowPrivateNetwork: options.allowPrivateNetwork,
  };

  const runSingle = async (unit: Extract<Unit, { kind: 'single' }>) => {
    const item = items[unit.index]!;
    const seq = input.offset + unit.index;
    if (unit.retryOf) await sleep(unit.retryOf.delayMs);
    current.add(item.relPath);
    let result: CopyItemResult;
    try {
      // A batch's retry already spent the file's first attempt.
      result = await (unit.retryOf ? copyFileRetry : copyFile)({
        planId: input.planId,
        seq,
        item,
        destination: input.destination,
        options: fileOptions,
      });
    } catch (err) {
      if (isCancellation(err)) throw err;
      // A failed item never fails the copy: it is counted, reported and stored.
      result = failedResult(item, err);
      await recordCopyResult({ planId: input.planId, destination: input.destination, seq, result });
    } finally {
      current.delete(item.relPath);
    }
    finish(result);
  };

  const runBatch = async (unit: Extract<Unit, { kind: 'batch' }>) => {
    const paths = unit.indexes.map((i) => items[i]!.relPath);
    paths.forEach((p) => current.add(p));
    let outcome: CopyBatchResult;
    try {
      outcome = await copyBatch({
        planId: input.planId,
        items: unit.indexes.map((i) => ({ seq: input.offset + i, item: items[i]! })),
        destination: input.destination,
        options: fileOptions,
        width: Math.min(BATCH_WIDTH, options.concurrency),
        lastAttempt: options.maxAttempts <= 1,
        pageOffset: input.offset,
      });
    } catch (err) {
      if (isCancellation(err)) throw err;
      // The batch itself gave up (its workers kept dying): each file gets its own copyFile.
      outcome = {
        results: [],
        retry: unit.indexes.map((i) => ({ seq: input.offset + i, error: failedResult(items[i]!, err).error! })),
      };
    } finally {
      paths.forEach((p) => current.delete(p));
    }
    for (const { result } of outcome.results) finish(result);
    for (const r of outcome.retry) {
      queue.unshift({
        kind: 'single',
        index: r.seq - input.offset,
        retryOf: { delayMs: Math.max(FIRST_RETRY_DELAY_MS, r.retryAfterMs ?? 0) },
      });
    }
  };

  // The page's work in plan order: small files of known size in batches, the rest one by one.
  const queue: Unit[] = [];
  let batch: number[] = [];
  const closeBatch = () => {
    if (batch.length) queue.push({ kind: 'batch', indexes: batch });
    batch = [];
  };
  for (const index of present.missing) {
    const size = items[index]!.size;
    if (options.batchFiles > 1 && size !== undefined && size <= options.smallFileBytes) {
      batch.push(index);
      if (batch.length >= options.batchFiles) closeBatch();
    } else queue.push({ kind: 'single', index });
  }
  closeBatch();

  // At most `concurrency` files in flight: a batch weighs as many files as it copies at once.
  const weight = (u: Unit) => (u.kind === 'batch' ? Math.min(BATCH_WIDTH, options.concurrency, u.indexes.length) : 1);
  let inFlight = 0;
  let failure: unknown;
  for (;;) {
    await condition(
      () =>
        failure !== undefined ||
        (queue.length > 0 && inFlight + weight(queue[0]!) <= options.concurrency) ||
        (queue.length === 0 && inFlight === 0),
    );
    if (failure !== undefined) throw failure;
    const unit = queue.shift();
    if (!unit) break;
    const w = weight(unit);
    inFlight += w;
    void (unit.kind === 'batch' ? runBatch(unit) : runSingle(unit)).then(
      () => void (inFlight -= w),
      (err: unknown) => void (failure ??= err),
    );
  }
  return { offset: input.offset, ...tally, failures, renamed };
}
