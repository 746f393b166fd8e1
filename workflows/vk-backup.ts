// vkBackup: the photo backup of a VK user (workflows/photo-backup.ts, source vk). Its own workflow
// type, so the Web UI, search and GET /vk-backups/{id} tell VK backups from OK ones.
import type { PhotoBackupInput, PhotoBackupResult } from '../lib/jobs/photo-backup';
import { photoBackup } from './photo-backup';

export async function vkBackup(input: PhotoBackupInput): Promise<PhotoBackupResult> {
  return photoBackup({ ...input, source: 'vk' });
}
