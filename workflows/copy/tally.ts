// Counting item outcomes, shared by the page workflow and copyToCloud. Pure: safe in workflows.
import type { CopyItemResult, CopyProgress } from '../../lib/jobs/copy-to-cloud';

/** The summary keeps at most this many failed/renamed items; the full report is in PostgreSQL. */
const MAX_LISTED = 1000;

export interface Tally {
  copied: number;
  alreadyThere: number;
  failed: number;
  bytesDone: number;
}

/** What a page reports: running counts while it works (signal), the full lists when it ends (result). */
export interface PageProgress extends Tally {
  offset: number;
  current: string[];
}

export interface PageSummary extends Tally {
  offset: number;
  failures: CopyItemResult[];
  renamed: CopyItemResult[];
}

export const emptyTally = (): Tally => ({ copied: 0, alreadyThere: 0, failed: 0, bytesDone: 0 });

export function countResult(t: Tally, r: CopyItemResult): void {
  if (r.status === 'copied') t.copied += 1;
  else if (r.status === 'already_there') t.alreadyThere += 1;
  else t.failed += 1;
  t.bytesDone += r.status === 'failed' ? 0 : r.bytes;
}

export function addTally(into: Tally, t: Tally): void {
  into.copied += t.copied;
  into.alreadyThere += t.alreadyThere;
  into.failed += t.failed;
  into.bytesDone += t.bytesDone;
}

/** Finished pages plus the latest report of each page still running. */
export function progressOf(
  plan: { total: number; totalBytes: number },
  done: Tally,
  running: Iterable<PageProgress>,
): CopyProgress {
  const sum = { ...done };
  const current: string[] = [];
  for (const p of running) {
    addTally(sum, p);
    current.push(...p.current);
  }
  return { total: plan.total, totalBytes: plan.totalBytes, ...sum, current };
}

export const appendCapped = <T>(into: T[], more: T[]): void => {
  into.push(...more.slice(0, Math.max(0, MAX_LISTED - into.length)));
};
