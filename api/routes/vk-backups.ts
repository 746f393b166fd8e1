// POST /vk-backups starts a vkBackup workflow (or, with "schedule", a backup schedule); GET
// /vk-backups/{id} shows its state, progress, report and typed failure reason. The routes are the
// photo-backup routes of api/routes/photo-backup-routes.ts, shared with OK.
import { photoBackupApi } from './photo-backup-routes';

const vk = photoBackupApi({
  source: 'vk',
  tokenField: 'vk_token',
  tokenHelp: "VK user access token; the server's VK_TOKEN when omitted",
  userHelp: 'VK user id or screen name',
  userExample: 'durov',
  requestName: 'VkBackupRequest',
  statusName: 'VkBackupStatus',
});

export const VkBackupRequest = vk.request;
export const VkBackupStatus = vk.status;
export const vkBackupRoutes = vk.routes;
