// The state of a photo backup as the CLI's progress bar and GET /vk-backups/{id} (/ok-backups/{id}) show it: the parent's
// progress query (phase, targets) plus each running copyToCloud child's own progress query (photos,
// bytes), or the final result / typed failure once it has closed.
import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { copyProgressQuery, type CopyProgress } from '../lib/jobs/copy-to-cloud';
import { failureReason } from '../lib/failures';
import {
  photoBackupProgressQuery,
  type PhotoBackupProgress,
  type PhotoBackupResult,
  type PhotoBackupWorkflowType,
  type TargetState,
} from '../lib/jobs/photo-backup';
import type { ReportEntry } from '../lib/photo-naming';

export type BackupState = 'running' | 'completed' | 'partial' | 'failed' | 'cancelled' | 'terminated' | 'timed_out';

export interface BackupTargetStatus {
  cloud: string;
  status: TargetState['status'];
  copied: number;
  alreadyThere: number;
  failed: number;
  bytesDone: number;
  error?: { type: string; message: string };
  reportPath?: string;
}

export interface BackupStatus {
  id: string;
  state: BackupState;
  phase?: PhotoBackupProgress['phase'];
  owner?: { id: string; name: string };
  folder?: string;
  /** Photos and bytes over every target (a photo copied to two clouds counts twice). */
  progress: { photos: { total: number; done: number }; bytes: { total: number; done: number } };
  targets: BackupTargetStatus[];
  report?: ReportEntry[];
  reason?: { type: string; message: string };
}

const STATES: Record<string, BackupState> = {
  RUNNING: 'running',
  CONTINUED_AS_NEW: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
};

async function targetStatus(client: Client, t: TargetState, planTotal: number, planBytes: number) {
  let live: CopyProgress | undefined;
  if (t.status === 'copying') {
    live = await client.workflow
      .getHandle(t.workflowId)
      .query(copyProgressQuery)
      .catch(() => undefined);
  }
  const s = live ?? t.summary;
  const row: BackupTargetStatus = {
    cloud: t.cloud,
    status: t.status,
    copied: s?.copied ?? 0,
    alreadyThere: s?.alreadyThere ?? 0,
    failed: t.status === 'failed' && !s ? planTotal : (s?.failed ?? 0),
    bytesDone: s?.bytesDone ?? 0,
    ...(t.error && { error: t.error }),
    ...(t.reportPath && { reportPath: t.reportPath }),
  };
  return { row, total: s?.total ?? planTotal, totalBytes: s?.totalBytes ?? planBytes };
}

function summarise(id: string, state: BackupState, progress: PhotoBackupProgress | undefined) {
  return {
    id,
    state,
    ...(progress && { phase: progress.phase, folder: progress.folder }),
    ...(progress?.owner && { owner: progress.owner }),
  };
}

/**
 * Undefined when there is no photo backup of this type with this id: a status request for one kind of
 * backup never answers with another kind of run.
 */
export async function describeBackup(
  client: Client,
  id: string,
  workflowType: PhotoBackupWorkflowType = 'vkBackup',
): Promise<BackupStatus | undefined> {
  const handle = client.workflow.getHandle(id);
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
  if (description.type !== workflowType) return undefined;
  let state = STATES[description.status.name] ?? 'running';

  let progress: PhotoBackupProgress | undefined;
  let result: PhotoBackupResult | undefined;
  let reason: BackupStatus['reason'];
  if (state === 'completed') {
    result = (await handle.result()) as PhotoBackupResult;
    progress = {
      phase: 'done',
      folder: result.folder,
      owner: result.owner,
      plan: result.plan,
      targets: result.targets,
    };
    if (result.targets.some((t) => t.status !== 'done')) state = 'partial';
  } else if (state === 'running') {
    progress = await handle.query(photoBackupProgressQuery).catch(() => undefined);
  } else if (state === 'failed') {
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    reason = failureReason(err);
    const cause = err instanceof WorkflowFailedError ? err.cause : err;
    const targets = cause instanceof ApplicationFailure ? (cause.details?.[0] as TargetState[] | undefined) : undefined;
    if (targets) progress = { phase: 'done', folder: '', targets };
  }

  const total = progress?.plan?.total ?? 0;
  const planBytes = progress?.plan?.totalBytes ?? 0;
  const rows = await Promise.all((progress?.targets ?? []).map((t) => targetStatus(client, t, total, planBytes)));
  return {
    ...summarise(id, state, progress),
    progress: {
      photos: {
        total: rows.reduce((n, r) => n + r.total, 0),
        done: rows.reduce((n, r) => n + r.row.copied + r.row.alreadyThere + r.row.failed, 0),
      },
      bytes: { total: rows.reduce((n, r) => n + r.totalBytes, 0), done: rows.reduce((n, r) => n + r.row.bytesDone, 0) },
    },
    targets: rows.map((r) => r.row),
    ...(result && { report: result.report }),
    ...(reason && { reason }),
  };
}
