// photoBackup (run as vkBackup / okBackup): list a VK or OK user's photos into a stored copy plan,
// copy it to each target cloud with one copyToCloud child per cloud (both at once; one failing never
// loses the other's copies), then write the seeds' JSON report next to the photos as photos.json and
// return it. Started by a schedule, it keeps a ledger: the report then lists every photo backed up so far.
import {
  executeChild,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { DestinationSpec } from '../lib/jobs/copy-to-cloud';
import {
  photoBackupProgressQuery,
  validateBackupInput,
  type PhotoBackupInput,
  type PhotoBackupProgress,
  type PhotoBackupResult,
} from '../lib/jobs/photo-backup';
import { FailureType, NON_RETRYABLE_FAILURES, failureReason, finalFailure } from '../lib/failures';
import { formatReport } from '../lib/photo-naming';
import { FerryCloudType, FerryJob, FerryStatus } from '../lib/search-attributes';
import type { PhotoBackupActivities } from '../activities/photo-backup/types';
import { copyToCloud } from './copy-to-cloud';

const { planPhotoBackup } = proxyActivities<PhotoBackupActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 6,
    nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
  },
});
const { uploadBackupReport, recordBackupLedger } = proxyActivities<PhotoBackupActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_FAILURES },
});

const setStatus = (status: string) => upsertSearchAttributes([{ key: FerryStatus, value: status }]);

export async function photoBackup(raw: PhotoBackupInput): Promise<PhotoBackupResult> {
  const input = validateBackupInput(raw);
  const { workflowId } = workflowInfo();
  const progress: PhotoBackupProgress = {
    phase: 'listing',
    folder: input.folder,
    targets: input.targets.map((t) => ({ cloud: t.cloud, workflowId: `${workflowId}/${t.cloud}`, status: 'pending' })),
  };
  setHandler(photoBackupProgressQuery, () => progress);
  upsertSearchAttributes([
    { key: FerryJob, value: `${input.source}-backup` },
    { key: FerryCloudType, value: input.targets.map((t) => t.cloud).join(',') },
  ]);
  setStatus('listing');

  let planned;
  try {
    planned = await planPhotoBackup({
      source: input.source,
      user: input.user,
      album: input.album,
      count: input.count === 'all' ? undefined : input.count,
      token: input.sourceToken,
      planId: `${workflowId}/plan`,
      ...(input.ledgerId && { ledgerId: input.ledgerId }),
    });
  } catch (err) {
    if (isCancellation(err)) throw err;
    setStatus('failed');
    throw finalFailure(failureReason(err));
  }
  progress.owner = planned.owner;
  progress.plan = planned.plan;
  progress.phase = 'copying';
  setStatus('copying');

  const destinations: DestinationSpec[] = input.targets.map((credentials) => ({
    cloud: credentials.cloud,
    rootFolder: input.folder,
    credentials,
  }));
  const failedKeys = new Map<string, number>();
  await Promise.all(
    destinations.map(async (destination, i) => {
      const target = progress.targets[i]!;
      target.status = 'copying';
      try {
        const summary = await executeChild(copyToCloud, {
          workflowId: target.workflowId,
          args: [{ plan: planned.plan, destination, options: { ...input.copy, ...planned.copyOptions } }],
        });
        const { failures, renamed: _renamed, ...counts } = summary;
        target.summary = counts;
        for (const f of failures) failedKeys.set(f.key, (failedKeys.get(f.key) ?? 0) + 1);
        if (summary.failed === 0) target.status = 'done';
        else {
          target.status = summary.failed === summary.total ? 'failed' : 'partial';
          target.error = failures[0]?.error ?? { type: FailureType.Error, message: `${summary.failed} photos failed` };
        }
      } catch (err) {
        // A cancelled backup ends as cancelled, not as "every cloud failed".
        if (isCancellation(err)) throw err;
        target.status = 'failed';
        target.error = failureReason(err);
        for (const e of planned.report) failedKeys.set(e.key, (failedKeys.get(e.key) ?? 0) + 1);
      }
    }),
  );

  // A photo is in the report when at least one target holds it (a schedule's: in this run or an earlier one).
  const held = planned.report.filter((e) => (failedKeys.get(e.key) ?? 0) < destinations.length);
  progress.phase = 'reporting';
  setStatus('reporting');
  const report = input.ledgerId
    ? await recordBackupLedger({ ledgerId: input.ledgerId, entries: held })
    : held.map(({ file_name, size }) => ({ file_name, size }));
  const text = formatReport(report);
  await Promise.all(
    destinations.map(async (destination, i) => {
      const target = progress.targets[i]!;
      if (target.status === 'failed') return;
      try {
        const written = await uploadBackupReport({
          destination,
          text,
          key: `${input.source}-report:${planned.owner.id}`,
        });
        target.reportPath = written.path;
      } catch (err) {
        if (isCancellation(err)) throw err;
        target.status = 'partial';
        const reason = failureReason(err);
        target.error = { type: reason.type, message: `photos.json not written: ${reason.message}` };
      }
    }),
  );
  progress.phase = 'done';

  if (progress.targets.every((t) => t.status === 'failed')) {
    setStatus('failed');
    const first = progress.targets[0]!.error ?? { type: FailureType.InvalidInput, message: 'no target succeeded' };
    const message = progress.targets.map((t) => `${t.cloud}: ${t.error?.message ?? 'failed'}`).join('; ');
    throw finalFailure({ type: first.type, message }, [progress.targets]);
  }
  setStatus(progress.targets.every((t) => t.status === 'done') ? 'done' : 'partial');
  return {
    owner: planned.owner,
    folder: input.folder,
    plan: planned.plan,
    report,
    targets: progress.targets,
    skipped: planned.skipped,
  };
}
