// The photo-backup schedules created by POST /vk-backups or /ok-backups with "schedule": list them,
// look at one (its next runs and recent runs, each with its status URL), pause, resume, delete.
import { Router } from 'express';
import {
  deleteBackupSchedule,
  describeBackupSchedule,
  listBackupSchedules,
  setBackupSchedulePaused,
} from '../../client/backup-schedules';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';
import { ErrorBody, registry, z } from '../openapi';

const Run = z.object({ id: z.string(), scheduled_at: z.string(), started_at: z.string(), status_url: z.string() });

const BackupSchedule = registry.register(
  'BackupSchedule',
  z.object({
    id: z.string(),
    source: z.enum(['vk', 'ok']),
    user: z.string(),
    album: z.string().optional(),
    count: z.union([z.number().int(), z.literal('all')]).optional(),
    folder: z.string().optional(),
    clouds: z.array(z.string()),
    schedule: z.union([z.object({ every: z.string() }), z.object({ cron: z.string() })]),
    paused: z.boolean(),
    note: z.string().optional(),
    next_runs: z.array(z.string()).openapi({ description: 'Upcoming run times (ISO 8601, UTC); empty while paused' }),
    recent_runs: z.array(Run).openapi({ description: 'The latest runs, oldest first' }),
  }),
);

const idParam = { params: z.object({ id: z.string() }) };
const noSuch = { description: 'No such backup schedule', content: { 'application/json': { schema: ErrorBody } } };
const one = { description: 'The schedule', content: { 'application/json': { schema: BackupSchedule } } };

registry.registerPath({
  method: 'get',
  path: '/backup-schedules',
  summary: 'Every scheduled photo backup',
  responses: {
    200: {
      description: 'The schedules',
      content: { 'application/json': { schema: z.object({ schedules: z.array(BackupSchedule) }) } },
    },
  },
});
registry.registerPath({
  method: 'get',
  path: '/backup-schedules/{id}',
  summary: 'A scheduled photo backup: its spec, next runs and recent runs',
  request: idParam,
  responses: { 200: one, 404: noSuch },
});
for (const action of ['pause', 'resume'] as const) {
  registry.registerPath({
    method: 'post',
    path: `/backup-schedules/{id}/${action}`,
    summary: action === 'pause' ? 'Pause a scheduled backup (no runs until resumed)' : 'Resume a paused backup',
    request: idParam,
    responses: { 200: one, 404: noSuch },
  });
}
registry.registerPath({
  method: 'delete',
  path: '/backup-schedules/{id}',
  summary: 'Delete a scheduled backup (a run in progress finishes; the copied photos stay)',
  request: idParam,
  responses: { 204: { description: 'Deleted' }, 404: noSuch },
});

export function backupScheduleRoutes(deps: ApiDeps): Router {
  const router = Router();
  const missing = (id: string) => new HttpError(404, 'not_found', `No backup schedule ${id}`);

  router.get('/backup-schedules', async (_req, res) => {
    res.json({ schedules: await listBackupSchedules(deps.temporal) });
  });
  router.get('/backup-schedules/:id', async (req, res) => {
    const found = await describeBackupSchedule(deps.temporal, req.params.id);
    if (!found) throw missing(req.params.id);
    res.json(found);
  });
  router.post('/backup-schedules/:id/:action', async (req, res) => {
    const { id, action } = req.params;
    if (action !== 'pause' && action !== 'resume') throw new HttpError(404, 'not_found', `No route for ${req.path}`);
    const found = await setBackupSchedulePaused(deps.temporal, id, action === 'pause');
    if (!found) throw missing(id);
    res.json(found);
  });
  router.delete('/backup-schedules/:id', async (req, res) => {
    if (!(await deleteBackupSchedule(deps.temporal, req.params.id))) throw missing(req.params.id);
    res.status(204).end();
  });
  return router;
}
