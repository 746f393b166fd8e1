// The planner half of a page (workflows/copy/page.ts): which of its items get an activity, and how they
// are grouped. Pure: safe in workflows.
import type { CopyPlanItem } from '../../lib/jobs/copy-to-cloud';
import type { ResolvedCopyOptions } from '../../activities/copy/types';

/** Work for one activity: a batch of small files, or one file (large, unknown size, or a batch's retry). */
export type Unit =
  { kind: 'batch'; indexes: number[] } | { kind: 'single'; index: number; retryOf?: { delayMs: number } };

/** Files of one batch copied at once: several batches in flight keep the link busy while one finishes. */
const BATCH_WIDTH = 4;

export const batchWidth = (concurrency: number) => Math.min(BATCH_WIDTH, concurrency);

/** What a unit weighs against `concurrency`: a batch, as many files as it copies at once. */
export const unitWeight = (unit: Unit, concurrency: number) =>
  unit.kind === 'batch' ? Math.min(batchWidth(concurrency), unit.indexes.length) : 1;

/** The page's work in plan order: small files of known size in batches, the rest one by one. */
export function planUnits(
  items: CopyPlanItem[],
  missing: number[],
  options: Pick<ResolvedCopyOptions, 'batchFiles' | 'smallFileBytes'>,
): Unit[] {
  const units: Unit[] = [];
  let batch: number[] = [];
  const closeBatch = () => {
    if (batch.length) units.push({ kind: 'batch', indexes: batch });
    batch = [];
  };
  for (const index of missing) {
    const size = items[index]!.size;
    if (options.batchFiles > 1 && size !== undefined && size <= options.smallFileBytes) {
      batch.push(index);
      if (batch.length >= options.batchFiles) closeBatch();
    } else units.push({ kind: 'single', index });
  }
  closeBatch();
  return units;
}
