// Scheduled photo backups (VK, OK) as Temporal Schedules, shared by the API and the CLI. A schedule
// starts vkBackup / okBackup with its own id as the ledger, so each run copies only what is new and
// writes a report of every photo backed up so far (docs/scheduled-backups.md).
//
// The action's arguments carry the tokens: the client's data converter encrypts them (payload codec)
// before they reach Temporal. The memo is encrypted too, and holds only what `list` shows.
import { randomUUID } from 'node:crypto';
import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleExecutionResult,
  type ScheduleSummary,
} from '@temporalio/client';
import type { PhotoBackupInput, PhotoSourceKind } from '../lib/jobs/photo-backup';
import { DEFAULT_COUNT, PHOTO_BACKUP_WORKFLOW_TYPES, PHOTO_SOURCES } from '../lib/jobs/photo-backup';

export type BackupScheduleSpec = { every: string } | { cron: string };

/** What a schedule's memo keeps: enough to list it, nothing secret. */
export interface BackupScheduleMemo {
  source: PhotoSourceKind;
  user: string;
  album: string;
  count: number | 'all';
  folder: string;
  clouds: string[];
  schedule: BackupScheduleSpec;
}

export interface BackupScheduleInfo extends BackupScheduleMemo {
  id: string;
  paused: boolean;
  note?: string;
  next_runs: string[];
  /** The latest runs, oldest first; each one's state at status_url. */
  recent_runs: Array<{ id: string; scheduled_at: string; started_at: string; status_url: string }>;
}

const MEMO_KEY = 'ferryPhotoBackup';
const NEXT_RUNS = 5;
export const SCHEDULE_ID_PATTERN = /^(vk|ok)-schedule-[\w.-]{1,200}$/;

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MIN_EVERY_MS = 60_000;
const MAX_EVERY_MS = 366 * 86_400_000;

/** `1d`, `24h`, `90m`, `1h30m` -> milliseconds; undefined when it is not such a duration. */
export function parseEvery(text: string): number | undefined {
  const s = text.trim().toLowerCase();
  if (!/^(\d+[dhms])+$/.test(s)) return undefined;
  let ms = 0;
  for (const [, n, unit] of s.matchAll(/(\d+)([dhms])/g)) ms += Number(n) * UNIT_MS[unit!]!;
  return ms;
}

const CRON_FIELD = /^[\d*,/\-A-Za-z?]+$/;
const CRON_MACROS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** Why the schedule spec is refused (naming its field), or undefined when it is fine. */
export function scheduleSpecProblem(spec: unknown): { field: string; message: string } | undefined {
  const s = spec as Partial<Record<'every' | 'cron', unknown>> | undefined;
  if (!s || typeof s !== 'object' || (s.every === undefined) === (s.cron === undefined)) {
    return { field: 'schedule', message: 'give exactly one of "every" (e.g. "24h") or "cron" (e.g. "0 4 * * *")' };
  }
  if (s.every !== undefined) {
    const ms = typeof s.every === 'string' ? parseEvery(s.every) : undefined;
    if (ms === undefined)
      return { field: 'schedule.every', message: 'must be a duration such as 1d, 24h, 90m or 1h30m' };
    if (ms < MIN_EVERY_MS || ms > MAX_EVERY_MS) {
      return { field: 'schedule.every', message: 'must be between 1 minute and 366 days' };
    }
    return undefined;
  }
  const cron = typeof s.cron === 'string' ? s.cron.trim() : '';
  const fields = cron.split(/\s+/);
  if (!(CRON_MACROS.has(cron) || (fields.length === 5 && fields.every((f) => CRON_FIELD.test(f))))) {
    return { field: 'schedule.cron', message: 'must be a five-field cron expression (UTC), e.g. "0 4 * * *"' };
  }
  return undefined;
}

const safe = (user: string) => user.replace(/[^\w.-]/g, '_').slice(0, 60);
const iso = (d: Date | undefined) => (d ? d.toISOString() : '');
const statusUrl = (source: string, workflowId: string) => `/${source}-backups/${encodeURIComponent(workflowId)}`;

function toInfo(
  id: string,
  memo: BackupScheduleMemo,
  state: { paused: boolean; note?: string },
  info: { recentActions: ScheduleExecutionResult[]; nextActionTimes: Date[] },
): BackupScheduleInfo {
  return {
    id,
    ...memo,
    paused: state.paused,
    ...(state.note && { note: state.note }),
    next_runs: state.paused ? [] : info.nextActionTimes.slice(0, NEXT_RUNS).map(iso),
    recent_runs: info.recentActions.map((a) => ({
      id: a.action.workflow.workflowId,
      scheduled_at: iso(a.scheduledAt),
      started_at: iso(a.takenAt),
      status_url: statusUrl(memo.source, a.action.workflow.workflowId),
    })),
  };
}

const memoOf = (s: ScheduleSummary | ScheduleDescription) => s.memo?.[MEMO_KEY] as BackupScheduleMemo | undefined;

/**
 * Creates the schedule and takes its first backup at once; returns its id. Overlap SKIP (a run still
 * going means the next is skipped, never stacked); a failed run pauses nothing, the next retries.
 */
export async function createBackupSchedule(
  client: Client,
  opts: { taskQueue: string; input: PhotoBackupInput & { source: PhotoSourceKind }; schedule: BackupScheduleSpec },
): Promise<string> {
  const { input, schedule } = opts;
  const suffix = `${safe(input.user)}-${randomUUID().slice(0, 8)}`;
  const scheduleId = `${input.source}-schedule-${suffix}`;
  const rules = PHOTO_SOURCES[input.source];
  const memo: BackupScheduleMemo = {
    source: input.source,
    user: input.user,
    album: input.album ?? rules.defaultAlbum,
    count: input.count ?? DEFAULT_COUNT,
    folder: input.folder ?? rules.defaultFolder,
    clouds: input.targets.map((t) => t.cloud),
    schedule,
  };
  await client.schedule.create({
    scheduleId,
    spec:
      'every' in schedule
        ? { intervals: [{ every: parseEvery(schedule.every)! }] }
        : { cronExpressions: [schedule.cron.trim()], timezone: 'UTC' },
    action: {
      type: 'startWorkflow',
      workflowType: PHOTO_BACKUP_WORKFLOW_TYPES[input.source],
      workflowId: `${input.source}-backup-scheduled-${suffix}`,
      taskQueue: opts.taskQueue,
      args: [{ ...input, ledgerId: scheduleId }],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day', pauseOnFailure: false },
    state: { triggerImmediately: true },
    memo: { [MEMO_KEY]: memo },
  });
  return scheduleId;
}

/** Undefined when there is no backup schedule with this id (another kind of schedule included). */
export async function describeBackupSchedule(client: Client, id: string): Promise<BackupScheduleInfo | undefined> {
  if (!SCHEDULE_ID_PATTERN.test(id)) return undefined;
  let d: ScheduleDescription;
  try {
    d = await client.schedule.getHandle(id).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
  const memo = memoOf(d);
  return memo && toInfo(id, memo, d.state, d.info);
}

/** Every backup schedule (Temporal's list is eventually consistent: a new one shows within seconds). */
export async function listBackupSchedules(client: Client): Promise<BackupScheduleInfo[]> {
  const out: BackupScheduleInfo[] = [];
  for await (const s of client.schedule.list()) {
    const memo = memoOf(s);
    if (memo && SCHEDULE_ID_PATTERN.test(s.scheduleId)) out.push(toInfo(s.scheduleId, memo, s.state, s.info));
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/** Pauses or resumes; undefined when there is no such backup schedule. */
export async function setBackupSchedulePaused(
  client: Client,
  id: string,
  paused: boolean,
): Promise<BackupScheduleInfo | undefined> {
  if (!(await describeBackupSchedule(client, id))) return undefined;
  const handle = client.schedule.getHandle(id);
  if (paused) await handle.pause('paused through Ferry');
  else await handle.unpause('resumed through Ferry');
  return describeBackupSchedule(client, id);
}

/** Deletes the schedule (a run in progress finishes); false when there is no such backup schedule. */
export async function deleteBackupSchedule(client: Client, id: string): Promise<boolean> {
  if (!(await describeBackupSchedule(client, id))) return false;
  try {
    await client.schedule.getHandle(id).delete();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}
