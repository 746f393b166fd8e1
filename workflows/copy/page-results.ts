// What a page has done so far: its tally, the failed and renamed items, the files in flight, and the
// throttled progress reports to the parent. Pure: safe in workflows.
import type { CopyItemResult } from '../../lib/jobs/copy-to-cloud';
import { briefFailure } from '../../lib/text-limits';
import type { FindPresentResult } from '../../activities/copy/types';
import { countResult, emptyTally, type PageProgress, type PageSummary } from './tally';

/** How often (workflow time) a page tells its parent how far it got: the progress query's lag. */
const REPORT_EVERY_MS = 2000;

export class PageResults {
  private readonly tally = emptyTally();
  private readonly failures: CopyItemResult[] = [];
  private readonly renamed: CopyItemResult[] = [];
  private readonly current = new Set<string>();
  private lastReport = Date.now();

  /** `report` sends a progress report (none: the page has no parent to tell). */
  constructor(
    private readonly offset: number,
    private readonly report?: (progress: PageProgress) => void,
  ) {}

  /** The items findPresent found already copied. */
  addPresent(present: Pick<FindPresentResult, 'alreadyThere' | 'bytes' | 'renamed'>): void {
    this.tally.alreadyThere += present.alreadyThere;
    this.tally.bytesDone += present.bytes;
    this.renamed.push(...present.renamed);
  }

  started(paths: string[]): void {
    for (const p of paths) this.current.add(p);
  }

  ended(paths: string[]): void {
    for (const p of paths) this.current.delete(p);
  }

  add(result: CopyItemResult): void {
    countResult(this.tally, result);
    if (result.status === 'failed') this.failures.push(briefFailure(result));
    if (result.renamedFrom) this.renamed.push(result);
    this.maybeReport();
  }

  summary(): PageSummary {
    return { offset: this.offset, ...this.tally, failures: this.failures, renamed: this.renamed };
  }

  private maybeReport(): void {
    if (!this.report || Date.now() - this.lastReport < REPORT_EVERY_MS) return;
    this.lastReport = Date.now();
    this.report({ offset: this.offset, ...this.tally, current: [...this.current] });
  }
}
