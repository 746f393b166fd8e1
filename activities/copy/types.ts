// The copy activities' signatures, importable by workflows (types only, no I/O).
import type { CopyItemResult, CopyOptions, CopyPlanItem, DestinationSpec } from '../../lib/copy-plan';

/** CopyOptions with every default resolved (the workflow cannot read the worker's config). */
export type ResolvedCopyOptions = CopyOptions & { concurrency: number; maxAttempts: number; pageSize: number };

export interface CopyFileInput {
  planId: string;
  /** Position in the plan: orders the report. */
  seq: number;
  item: CopyPlanItem;
  destination: DestinationSpec;
  options: Pick<CopyOptions, 'serverSideUpload' | 'allowedSourceHosts' | 'allowPrivateNetwork'>;
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
