// vkBackup: the photo backup of a VK user (workflows/photo-backup.ts, source vk). Its own workflow
// type, so the Web UI, search and GET /vk-backups/{id} tell VK backups from OK ones.
import { photoBackup, type PhotoBackupInput, type PhotoBackupResult } from './photo-backup';

export {
  photoBackupProgressQuery as vkBackupProgressQuery,
  type PhotoBackupInput as VkBackupInput,
  type PhotoBackupProgress as VkBackupProgress,
  type PhotoBackupResult as VkBackupResult,
  type TargetState,
  type TargetStatus,
} from './photo-backup';

export async function vkBackup(input: PhotoBackupInput): Promise<PhotoBackupResult> {
  return photoBackup({ ...input, source: 'vk' });
}
