// The photo backup job's contract (the photoBackup workflow, run as vkBackup or okBackup), shared by the
// workflow, the API, the CLI and backup schedules: the input with its validation and defaults (so all of
// them refuse the same inputs with the same words), the progress query, the result, and each source's
// workflow type. Pure: safe to import from workflows.
import { defineQuery } from '@temporalio/workflow';
import { failure, FailureType } from '../failures';
import type { ReportEntry } from '../photo-naming';
import type { CopySummary, DestinationCredentials, PlanRef } from './copy-to-cloud';

export type PhotoSourceKind = 'vk' | 'ok';

/** Each source has a workflow type of its own, so the Web UI, search and GET /vk-backups/{id} tell them apart. */
export const PHOTO_BACKUP_WORKFLOW_TYPES = { vk: 'vkBackup', ok: 'okBackup' } as const;
export type PhotoBackupWorkflowType = (typeof PHOTO_BACKUP_WORKFLOW_TYPES)[PhotoSourceKind];

export interface PhotoBackupInput {
  /** The photo source: vk (the default) or ok. */
  source?: PhotoSourceKind;
  /** A user id (or a VK screen name). */
  user: string;
  /** Newest N photos (default 5) or 'all'. */
  count?: number | 'all';
  /** VK: profile (default) | wall | saved | all | an album id. OK: personal (default) | all | an album id. */
  album?: string;
  /** Folder at every target (default VK_Images / OK_Images). */
  folder?: string;
  targets: DestinationCredentials[];
  /** The source's token; the worker's VK_TOKEN / OK_ACCESS_TOKEN when absent. Encrypted by the payload codec. */
  sourceToken?: string;
  /** Set by a backup schedule (its id): names stay as earlier runs gave them, the report covers every run. */
  ledgerId?: string;
  /** Copy-engine knobs (concurrency, serverSideUpload ...). */
  copy?: { concurrency?: number; maxAttempts?: number; serverSideUpload?: 'auto' | 'never' };
}

export type TargetStatus = 'pending' | 'copying' | 'done' | 'partial' | 'failed';

export interface TargetState {
  cloud: DestinationCredentials['cloud'];
  /** The copyToCloud child: query its copyProgress for live counts. */
  workflowId: string;
  status: TargetStatus;
  summary?: Omit<CopySummary, 'failures' | 'renamed'>;
  error?: { type: string; message: string };
  reportPath?: string;
}

export interface PhotoBackupProgress {
  phase: 'listing' | 'copying' | 'reporting' | 'done';
  owner?: { id: string; name: string };
  plan?: PlanRef;
  folder: string;
  targets: TargetState[];
}

export interface PhotoBackupResult {
  owner: { id: string; name: string };
  folder: string;
  plan: PlanRef;
  /** The seeds' report: every photo backed up to at least one target (by every run of a schedule), newest first. */
  report: ReportEntry[];
  targets: TargetState[];
  skipped: number;
}

export const photoBackupProgressQuery = defineQuery<PhotoBackupProgress>('photoBackupProgress');

export const DEFAULT_COUNT = 5;

/** What differs between the photo sources: their albums and where their photos go by default. */
export interface PhotoSourceRules {
  label: string;
  defaultAlbum: string;
  defaultFolder: string;
  albumPattern: RegExp;
  albumHelp: string;
}

export const PHOTO_SOURCES: Record<PhotoSourceKind, PhotoSourceRules> = {
  vk: {
    label: 'VK',
    defaultAlbum: 'profile',
    defaultFolder: 'VK_Images',
    albumPattern: /^(profile|wall|saved|all|-?\d+)$/,
    albumHelp: 'profile, wall, saved, all or a numeric album id',
  },
  ok: {
    label: 'OK',
    defaultAlbum: 'personal',
    defaultFolder: 'OK_Images',
    // OK album ids are strings (digits in every sample); `personal` is the album without one.
    albumPattern: /^(personal|all|[\w-]{1,64})$/,
    albumHelp: 'personal, all or an album id',
  },
};

export type ResolvedBackupInput = Required<Omit<PhotoBackupInput, 'sourceToken' | 'copy' | 'ledgerId'>> &
  Pick<PhotoBackupInput, 'sourceToken' | 'copy' | 'ledgerId'>;

const isSource = (s: unknown): s is PhotoSourceKind => s === 'vk' || s === 'ok';

/** Every problem with the request, field by field (empty when it is fine). */
export function backupInputProblems(input: Partial<PhotoBackupInput>): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  if (input.source !== undefined && !isSource(input.source)) {
    problems.push({ field: 'source', message: 'must be vk or ok' });
  }
  const rules = PHOTO_SOURCES[isSource(input.source) ? input.source : 'vk'];
  if (typeof input.user !== 'string' || !input.user.trim()) problems.push({ field: 'user', message: 'is required' });
  const count = input.count;
  if (count !== undefined && count !== 'all' && !(Number.isInteger(count) && count >= 1)) {
    problems.push({ field: 'count', message: 'must be a positive integer or "all"' });
  }
  if (input.album !== undefined && !rules.albumPattern.test(input.album)) {
    problems.push({ field: 'album', message: `must be ${rules.albumHelp}` });
  }
  const folder = input.folder;
  if (folder !== undefined && (!folder.trim() || folder.split('/').some((p) => p === '..' || p === '.'))) {
    problems.push({ field: 'folder', message: 'must be a non-empty folder path without . or .. parts' });
  }
  const targets: DestinationCredentials[] = Array.isArray(input.targets) ? input.targets : [];
  if (!targets.length) problems.push({ field: 'targets', message: 'name at least one cloud' });
  const clouds = targets.map((t) => t?.cloud);
  if (new Set(clouds).size !== clouds.length) problems.push({ field: 'targets', message: 'a cloud is named twice' });
  targets.forEach((t, i) => {
    if (t?.cloud === 'yadisk' && !t.token) problems.push({ field: `targets.${i}.token`, message: 'is required' });
    else if (t?.cloud === 'google_drive' && !t.refreshToken && !t.accessToken) {
      problems.push({ field: `targets.${i}.refreshToken`, message: 'is required' });
    } else if (t?.cloud !== 'yadisk' && t?.cloud !== 'google_drive') {
      problems.push({ field: `targets.${i}.cloud`, message: 'must be yadisk or google_drive' });
    }
  });
  return problems;
}

export function validateBackupInput(input: PhotoBackupInput): ResolvedBackupInput {
  const problems = backupInputProblems(input);
  if (problems.length) {
    throw failure(
      FailureType.InvalidInput,
      `invalid backup request: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
    );
  }
  const source = input.source ?? 'vk';
  const rules = PHOTO_SOURCES[source];
  return {
    source,
    user: input.user.trim(),
    count: input.count ?? DEFAULT_COUNT,
    album: input.album ?? rules.defaultAlbum,
    folder: (input.folder ?? rules.defaultFolder).replace(/^\/+|\/+$/g, ''),
    targets: input.targets,
    sourceToken: input.sourceToken,
    copy: input.copy,
    ledgerId: input.ledgerId,
  };
}
