// `ferry vk-backup <user>`: the photo-backup command (cli/photo-backup.ts) for VK.
import type { Command } from 'commander';
import { photoBackupCommand } from './photo-backup';

export { EXIT } from './photo-backup';

export function vkBackupCommand(): Command {
  return photoBackupCommand({
    source: 'vk',
    name: 'vk-backup',
    description: "back up a VK user's photos to Yandex Disk and/or Google Drive",
    userHelp: 'VK user id or screen name (e.g. 1001, durov, https://vk.com/durov)',
    tokenVar: 'VK_TOKEN',
    tokenHelp: 'a VK user access token with the photos scope',
  });
}
