// okBackup: the photo backup of an OK (Odnoklassniki) user (workflows/photo-backup.ts, source ok).
import type { PhotoBackupInput, PhotoBackupResult } from '../lib/jobs/photo-backup';
import { photoBackup } from './photo-backup';

export async function okBackup(input: Omit<PhotoBackupInput, 'source'>): Promise<PhotoBackupResult> {
  return photoBackup({ ...input, source: 'ok' });
}
