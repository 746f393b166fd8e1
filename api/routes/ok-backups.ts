// POST /ok-backups starts an okBackup workflow (or, with "schedule", a backup schedule); GET
// /ok-backups/{id} answers the same shape as /vk-backups/{id}. Same body as /vk-backups, with ok_token.
import { photoBackupApi } from './photo-backup-routes';

const ok = photoBackupApi({
  source: 'ok',
  tokenField: 'ok_token',
  tokenHelp: "OK user access token; the server's OK_ACCESS_TOKEN when omitted (requests are signed by the worker)",
  userHelp: 'OK user id (the digits of https://ok.ru/profile/<id>)',
  userExample: '571000000001',
  requestName: 'OkBackupRequest',
  statusName: 'OkBackupStatus',
});

export const OkBackupRequest = ok.request;
export const OkBackupStatus = ok.status;
export const okBackupRoutes = ok.routes;
