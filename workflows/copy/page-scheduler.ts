// The scheduler half of a page (workflows/copy/page.ts): runs the planned units as activities, at most
// `concurrency` files in flight, and hands every outcome to the page's results. A failed item never
// fails the page: its last failure is counted, reported and stored.
import { ActivityCancellationType, condition, isCancellation, proxyActivities, sleep } from '@temporalio/workflow';
import type { CopyItemResult, CopyPlanItem, DestinationSpec } from '../../lib/jobs/copy-to-cloud';
import { failureReason, NON_RETRYABLE_FAILURES } from '../../lib/failures';
import type { CopyActivities, CopyBatchResult, ResolvedCopyOptions } from '../../activities/copy/types';
import { batchWidth, unitWeight, type Unit } from './page-plan';
import type { PageResults } from './page-results';

/** The first retry of a file that failed in a batch waits as copyFile's own first retry would. */
const FIRST_RETRY_DELAY_MS = 1000;

const { recordCopyResult } = proxyActivities<CopyActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 10 },
});

interface PageWork {
  planId: string;
  offset: number;
  items: CopyPlanItem[];
  destination: DestinationSpec;
  options: ResolvedCopyOptions;
}

/** Copies the page's `units`, at most `concurrency` files at once; outcomes go to `results`. */
export async function copyUnits(work: PageWork, units: Unit[], results: PageResults): Promise<void> {
  const run = unitRunner(work, results);
  const { concurrency } = work.options;
  await runBounded(units, concurrency, (u) => unitWeight(u, concurrency), run);
}

/**
 * Runs `queue` in order, starting a unit once its weight fits under `concurrency`; the units a run
 * returns go to the front of the queue, each in turn (so the last returned runs first). Ends when all
 * have finished, or with the first unit that throws.
 */
async function runBounded<U>(
  queue: U[],
  concurrency: number,
  weight: (unit: U) => number,
  run: (unit: U) => Promise<U[]>,
): Promise<void> {
  let inFlight = 0;
  let failure: unknown;
  for (;;) {
    await condition(
      () =>
        failure !== undefined ||
        (queue.length > 0 && inFlight + weight(queue[0]!) <= concurrency) ||
        (queue.length === 0 && inFlight === 0),
    );
    if (failure !== undefined) throw failure;
    const unit = queue.shift();
    if (!unit) return;
    const w = weight(unit);
    inFlight += w;
    void run(unit).then(
      (next) => {
        for (const u of next) queue.unshift(u);
        inFlight -= w;
      },
      (err: unknown) => void (failure ??= err),
    );
  }
}

/** One unit's activity; resolves to the units still to run (a batch's files to retry one by one). */
function unitRunner(work: PageWork, results: PageResults): (unit: Unit) => Promise<Unit[]> {
  const { planId, offset, items, destination, options } = work;
  const { copyFile, copyFileRetry, copyBatch } = copyActivities(options);
  const fileOptions = {
    serverSideUpload: options.serverSideUpload,
    allowedSourceHosts: options.allowedSourceHosts,
    allowPrivateNetwork: options.allowPrivateNetwork,
  };

  const runSingle = async (unit: Extract<Unit, { kind: 'single' }>): Promise<Unit[]> => {
    const item = items[unit.index]!;
    const seq = offset + unit.index;
    if (unit.retryOf) await sleep(unit.retryOf.delayMs);
    results.started([item.relPath]);
    let result: CopyItemResult;
    try {
      result = await (unit.retryOf ? copyFileRetry : copyFile)({
        planId,
        seq,
        item,
        destination,
        options: fileOptions,
      });
    } catch (err) {
      if (isCancellation(err)) throw err;
      result = failedResult(item, err);
      await recordCopyResult({ planId, destination, seq, result });
    } finally {
      results.ended([item.relPath]);
    }
    results.add(result);
    return [];
  };

  const runBatch = async (unit: Extract<Unit, { kind: 'batch' }>): Promise<Unit[]> => {
    const paths = unit.indexes.map((i) => items[i]!.relPath);
    results.started(paths);
    let outcome: CopyBatchResult;
    try {
      outcome = await copyBatch({
        planId,
        items: unit.indexes.map((i) => ({ seq: offset + i, item: items[i]! })),
        destination,
        options: fileOptions,
        width: batchWidth(options.concurrency),
        lastAttempt: options.maxAttempts <= 1,
        pageOffset: offset,
      });
    } catch (err) {
      if (isCancellation(err)) throw err;
      // The batch itself gave up (its workers kept dying): each file gets its own copyFile.
      outcome = {
        results: [],
        retry: unit.indexes.map((i) => ({ seq: offset + i, error: failedResult(items[i]!, err).error! })),
      };
    } finally {
      results.ended(paths);
    }
    for (const { result } of outcome.results) results.add(result);
    return outcome.retry.map((r) => ({
      kind: 'single',
      index: r.seq - offset,
      retryOf: { delayMs: Math.max(FIRST_RETRY_DELAY_MS, r.retryAfterMs ?? 0) },
    }));
  };

  return (unit) => (unit.kind === 'batch' ? runBatch(unit) : runSingle(unit));
}

function copyActivities(options: ResolvedCopyOptions) {
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
  // A batch's retry already spent the file's first attempt.
  const { copyFile: copyFileRetry } = proxyActivities<CopyActivities>(
    copyOptions(Math.max(1, options.maxAttempts - 1)),
  );
  // A batch's own attempts only cover its worker dying: its files' failures come back as results.
  const { copyBatch } = proxyActivities<CopyActivities>(copyOptions(3));
  return { copyFile, copyFileRetry, copyBatch };
}

/** The reason an item failed, from the activity's last failure (typed by the activity). */
function failedResult(item: CopyPlanItem, err: unknown): CopyItemResult {
  return { key: item.key, relPath: item.relPath, status: 'failed', bytes: 0, error: failureReason(err) };
}
