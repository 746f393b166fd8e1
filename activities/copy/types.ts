// The copy activities' signatures, importable by workflows (types only, no I/O).
import type { CopyItemResult, CopyOptions, CopyPlanItem, DestinationSpec } from '../../lib/jobs/copy-to-cloud';

/** CopyOptions with every default resolved (the workflow cannot read the worker's config). */
export type ResolvedCopyOptions = CopyOptions & {
  concurrency: number;
  maxAttempts: number;
  pageSize: number;
  batchFiles: number;
  smallFileBytes: number;
};

export interface CopyFileInput {
  planId: string;
  /** Position in the plan: orders the report. */
  seq: number;
  item: CopyPlanItem;
  destination: DestinationSpec;
  options: Pick<CopyOptions, 'serverSideUpload' | 'allowedSourceHosts' | 'allowPrivateNetwork'>;
}

/** Small files copied in one activity: a photo costs Temporal one task per batch instead of one each. */
export interface CopyBatchInput {
  planId: string;
  items: Array<{ seq: number; item: CopyPlanItem }>;
  destination: DestinationSpec;
  options: CopyFileInput['options'];
  /** Files of the batch copied at once. */
  width: number;
  /** The batch is each item's only attempt (maxAttempts 1): every failure is final. */
  lastAttempt: boolean;
  /**
   * The plan offset of the batch's page: the page's batches (and its findPresent) on one worker share
   * one listing of each folder. Absent (a workflow started before it existed): a listing per batch.
   */
  pageOffset?: number;
}

/** An item that failed retryably inside a batch: the workflow gives it a copyFile of its own. */
export interface BatchRetry {
  seq: number;
  error: { type: string; message: string };
  /** The failure asked for this delay before the next attempt (Retry-After). */
  retryAfterMs?: number;
}

export interface CopyBatchResult {
  /** Final outcomes (copied, already there, or failed for good), recorded in PostgreSQL. */
  results: Array<{ seq: number; result: CopyItemResult }>;
  /** Items to retry one by one, under copyFile's retry policy. */
  retry: BatchRetry[];
}

export interface FindPresentInput {
  planId: string;
  offset: number;
  items: CopyPlanItem[];
  destination: DestinationSpec;
  concurrency: number;
}

export interface FindPresentResult {
  alreadyThere: number;
  bytes: number;
  /** Present items stored under a suffixed name by an earlier run. */
  renamed: CopyItemResult[];
  /** Indexes into `items` that still need a copyFile. */
  missing: number[];
}

export interface CopyActivities {
  /** Defaults from the worker's config (COPY_CONCURRENCY, COPY_MAX_ATTEMPTS) for options left unset. */
  resolveCopyOptions(options: CopyOptions): Promise<ResolvedCopyOptions>;
  readPlanPage(planId: string, offset: number, limit: number): Promise<CopyPlanItem[]>;
  /**
   * The fast path of a re-run: probes a page's items in one activity, records those already there and
   * returns the indexes (into the page) still to copy, so only those cost a copyFile activity each.
   */
  findPresent(input: FindPresentInput): Promise<FindPresentResult>;
  /**
   * Copies a batch of small files, each exactly as copyFile would, one attempt each; failures are
   * returned (final, or to retry one by one), never thrown.
   */
  copyBatch(input: CopyBatchInput): Promise<CopyBatchResult>;
  /** Copies one item: already there, copied and verified, or throws (typed ApplicationFailure). */
  copyFile(input: CopyFileInput): Promise<CopyItemResult>;
  /** Stores an outcome the workflow decided (a failed item after its last attempt). */
  recordCopyResult(input: {
    planId: string;
    destination: DestinationSpec;
    seq: number;
    result: CopyItemResult;
  }): Promise<void>;
}
