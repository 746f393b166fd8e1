// Validation and defaults of a photo-backup request, shared by the workflow, the CLI and the API so
// all three refuse the same inputs with the same words. Pure: safe in workflows.
import { ApplicationFailure } from '@temporalio/common';
import type { DestinationCredentials } from '../lib/copy-plan';
import { FailureType } from '../lib/failures';
import type { VkBackupInput } from './vk-backup';

export const DEFAULT_COUNT = 5;
export const DEFAULT_ALBUM = 'profile';
export const DEFAULT_FOLDER = 'VK_Images';
export const ALBUM_PATTERN = /^(profile|wall|saved|all|-?\d+)$/;

export type ResolvedBackupInput = Required<Omit<VkBackupInput, 'sourceToken' | 'copy'>> &
  Pick<VkBackupInput, 'sourceToken' | 'copy'>;

/** Every problem with the request, field by field (empty when it is fine). */
export function backupInputProblems(input: Partial<VkBackupInput>): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  if (typeof input.user !== 'string' || !input.user.trim()) problems.push({ field: 'user', message: 'is required' });
  const count = input.count;
  if (count !== undefined && count !== 'all' && !(Number.isInteger(count) && count >= 1)) {
    problems.push({ field: 'count', message: 'must be a positive integer or "all"' });
  }
  if (input.album !== undefined && !ALBUM_PATTERN.test(input.album)) {
    problems.push({ field: 'album', message: 'must be profile, wall, saved, all or a numeric album id' });
  }
  const folder = input.folder;
  if (folder !== undefined && (!folder.trim() || folder.split('/').some((p) => p === '..' || p === '.'))) {
    problems.push({ field: 'folder', message: 'must be a non-empty folder path without . or .. parts' });
  }
  if (input.source !== undefined && input.source !== 'vk') {
    problems.push({ field: 'source', message: 'must be vk' });
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

export function validateBackupInput(input: VkBackupInput): ResolvedBackupInput {
  const problems = backupInputProblems(input);
  if (problems.length) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidInput,
      message: `invalid backup request: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
      nonRetryable: true,
    });
  }
  return {
    source: input.source ?? 'vk',
    user: input.user.trim(),
    count: input.count ?? DEFAULT_COUNT,
    album: input.album ?? DEFAULT_ALBUM,
    folder: (input.folder ?? DEFAULT_FOLDER).replace(/^\/+|\/+$/g, ''),
    targets: input.targets,
    sourceToken: input.sourceToken,
    copy: input.copy,
  };
}
