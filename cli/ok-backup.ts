// `ferry ok-backup <user>`: the photo-backup command (cli/photo-backup.ts) for OK (Odnoklassniki).
import type { Command } from 'commander';
import { photoBackupCommand } from './photo-backup';

export function okBackupCommand(): Command {
  return photoBackupCommand({
    source: 'ok',
    name: 'ok-backup',
    description: "back up an OK (Odnoklassniki) user's photos to Yandex Disk and/or Google Drive",
    userHelp: 'OK user id (e.g. 571000000001, https://ok.ru/profile/571000000001)',
    tokenVar: 'OK_ACCESS_TOKEN',
    tokenHelp: 'an OK user access token with the VALUABLE_ACCESS and PHOTO_CONTENT permissions',
  });
}
