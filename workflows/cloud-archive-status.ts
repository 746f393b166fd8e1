// The public status of one gallery archive request as its workflow keeps it (answered by statusQuery),
// and the report made from the copy's summary. Pure: safe in workflows.
import { allHandlersFinished, condition, upsertSearchAttributes, type ApplicationFailure } from '@temporalio/workflow';
import { finalFailure, type FailureReason } from '../lib/failures';
import type { PreparedPlan } from '../activities/gallery/types';
import type { CloudArchiveInput, CloudArchiveState, CloudArchiveStatus } from '../lib/jobs/cloud-archive';
import type { CopySummary } from '../lib/jobs/copy-to-cloud';
import { FerryStatus } from '../lib/search-attributes';
import { briefProblem } from '../lib/text-limits';

const MAX_REPORTED = 1000;

export class ArchiveStatus {
  readonly status: CloudArchiveStatus;

  constructor(input: CloudArchiveInput) {
    const { request } = input;
    this.status = {
      id: input.requestId,
      state: 'awaiting_authorization',
      gallery_name: request.gallery_name,
      cloud_type: request.cloud_type,
      archive_type: request.archive_type,
      created_at: input.createdAt,
      expires_at: new Date(Date.parse(input.createdAt) + input.settings.authTimeoutMs).toISOString(),
      progress: { files: { total: 0, done: 0, failed: 0 }, bytes: { total: 0, done: 0, failed: 0 } },
      report: null,
      error: null,
    };
  }

  /** The state, also as the FerryStatus search attribute (what the dashboards count). */
  setState(state: CloudArchiveState): void {
    this.status.state = state;
    upsertSearchAttributes([{ key: FerryStatus, value: state }]);
  }

  /** Ends the request as `state`: returns the failure to throw once the update handler has answered. */
  async fail(state: 'failed' | 'expired', error: FailureReason): Promise<ApplicationFailure> {
    this.status.error = error;
    this.setState(state);
    await condition(allHandlersFinished);
    return finalFailure(error);
  }

  /** The listing's totals, before anything is copied; the files it set aside count as failed. */
  listed(prepared: PreparedPlan): void {
    const { plan } = prepared;
    this.status.progress.files = {
      total: plan.total + prepared.rejectedCount,
      done: 0,
      failed: prepared.rejectedCount,
    };
    this.status.progress.bytes = {
      total: plan.totalBytes + prepared.rejectedBytes,
      done: 0,
      failed: prepared.rejectedBytes,
    };
  }

  /** The final progress and report; without a summary (the copy failed) nothing counts as copied. */
  copied(prepared: PreparedPlan, summary: CopySummary | undefined): void {
    const { plan } = prepared;
    const done = summary ? summary.copied + summary.alreadyThere : 0;
    const failedInCopy = summary ? summary.failed : plan.total;
    const failedPhotos = failedInCopy + prepared.rejectedCount;
    this.status.progress.files = { total: plan.total + prepared.rejectedCount, done, failed: failedPhotos };
    const bytesDone = summary?.bytesDone ?? 0;
    this.status.progress.bytes = {
      total: plan.totalBytes + prepared.rejectedBytes,
      done: bytesDone,
      failed: prepared.rejectedBytes + (failedInCopy ? Math.max(0, plan.totalBytes - bytesDone) : 0),
    };
    this.status.report = {
      failed_photos: failedPhotos,
      copied: summary?.copied ?? 0,
      already_there: summary?.alreadyThere ?? 0,
      failed: [
        ...prepared.rejected,
        ...(summary?.failures ?? []).map((f) =>
          briefProblem(f.relPath, f.error ? `${f.error.type}: ${f.error.message}` : 'failed'),
        ),
      ].slice(0, MAX_REPORTED),
      renamed: (summary?.renamed ?? []).map((r) => ({ name: r.relPath, from: r.renamedFrom ?? r.relPath })),
      notified_at: null,
    };
  }
}
