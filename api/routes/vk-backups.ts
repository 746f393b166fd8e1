// POST /vk-backups starts a vkBackup workflow; GET /vk-backups/{id} shows its state, progress, report
// and typed failure reason. Tokens in the body go to Temporal encrypted (the payload codec) and are
// never echoed back.
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { describeBackup } from '../../lib/backup-status';
import type { DestinationCredentials } from '../../lib/copy-plan';
import type { VkBackupInput } from '../../workflows/vk-backup';
import { ALBUM_PATTERN } from '../../workflows/vk-backup-input';
import type { ApiDeps } from '../deps';
import { HttpError, parseOr400 } from '../errors';
import { errorResponses, ErrorBody, registry, z } from '../openapi';

const secret = (description: string) => z.string().min(1).max(4096).openapi({ description, format: 'password' });

const YandexTarget = z.object({
  cloud: z.literal('yadisk'),
  token: secret('Yandex Disk OAuth token (e.g. from the Polygon page)'),
});
const DriveTarget = z.object({
  cloud: z.literal('google_drive'),
  refresh_token: secret('Google OAuth refresh token with the drive.file scope'),
  client_id: z.string().min(1).max(512).optional().openapi({
    description: "The OAuth client the refresh token belongs to, when it is not the server's GOOGLE_CLIENT_ID",
  }),
  client_secret: secret('Secret of that OAuth client').optional(),
});

export const VkBackupRequest = registry.register(
  'VkBackupRequest',
  z.object({
    user: z.string().trim().min(1).max(200).openapi({ description: 'VK user id or screen name', example: 'durov' }),
    count: z
      .union([z.number().int().min(1).max(100_000), z.literal('all')])
      .optional()
      .openapi({ description: 'Newest N photos (default 5) or "all"' }),
    album: z
      .string()
      .regex(ALBUM_PATTERN, 'must be profile, wall, saved, all or a numeric album id')
      .optional()
      .openapi({ description: 'profile (default), wall, saved, all, or an album id' }),
    folder: z
      .string()
      .trim()
      .min(1)
      .max(255)
      .refine((f) => !f.split('/').some((p) => p === '..' || p === '.'), 'must not contain . or .. parts')
      .optional()
      .openapi({ description: 'Folder at every target (default VK_Images)' }),
    vk_token: secret("VK user access token; the server's VK_TOKEN when omitted").optional(),
    targets: z
      .array(z.discriminatedUnion('cloud', [YandexTarget, DriveTarget]))
      .min(1)
      .max(2)
      .refine((t) => new Set(t.map((x) => x.cloud)).size === t.length, 'name each cloud once'),
  }),
);

const TargetStatus = z.object({
  cloud: z.string(),
  status: z.enum(['pending', 'copying', 'done', 'partial', 'failed']),
  copied: z.number().int(),
  alreadyThere: z.number().int(),
  failed: z.number().int(),
  bytesDone: z.number().int(),
  error: z.object({ type: z.string(), message: z.string() }).optional(),
  reportPath: z.string().optional(),
});

export const VkBackupStatus = registry.register(
  'VkBackupStatus',
  z.object({
    id: z.string(),
    state: z.enum(['running', 'completed', 'partial', 'failed', 'cancelled', 'terminated', 'timed_out']),
    phase: z.enum(['listing', 'copying', 'reporting', 'done']).optional(),
    owner: z.object({ id: z.string(), name: z.string() }).optional(),
    folder: z.string().optional(),
    progress: z.object({
      photos: z.object({ total: z.number().int(), done: z.number().int() }),
      bytes: z.object({ total: z.number().int(), done: z.number().int() }),
    }),
    targets: z.array(TargetStatus),
    report: z
      .array(z.object({ file_name: z.string(), size: z.string() }))
      .optional()
      .openapi({ description: 'The seeds\' report: [{"file_name": "34.jpg", "size": "z"}]' }),
    reason: z.object({ type: z.string(), message: z.string() }).optional().openapi({
      description: 'Why it failed: AccessDenied (private profile, album), SourceNotFound, AuthRevoked ...',
    }),
  }),
);

registry.registerPath({
  method: 'post',
  path: '/vk-backups',
  summary: "Back up a VK user's photos to Yandex Disk and/or Google Drive",
  request: { body: { content: { 'application/json': { schema: VkBackupRequest } } } },
  responses: {
    202: {
      description: 'Started',
      content: { 'application/json': { schema: z.object({ id: z.string(), status_url: z.string() }) } },
    },
    400: errorResponses[400],
  },
});
registry.registerPath({
  method: 'get',
  path: '/vk-backups/{id}',
  summary: 'State, progress, report and failure reason of a VK backup',
  request: { params: z.object({ id: z.string() }) },
  responses: {
    200: { description: 'The backup', content: { 'application/json': { schema: VkBackupStatus } } },
    404: { description: 'No such backup', content: { 'application/json': { schema: ErrorBody } } },
  },
});

const toCredentials = (t: z.infer<typeof YandexTarget> | z.infer<typeof DriveTarget>): DestinationCredentials =>
  t.cloud === 'yadisk'
    ? { cloud: 'yadisk', token: t.token }
    : {
        cloud: 'google_drive',
        refreshToken: t.refresh_token,
        ...(t.client_id && { clientId: t.client_id }),
        ...(t.client_secret && { clientSecret: t.client_secret }),
      };

export function vkBackupRoutes(deps: ApiDeps): Router {
  const router = Router();

  router.post('/vk-backups', async (req, res) => {
    const body = parseOr400(VkBackupRequest, req.body);
    const input: VkBackupInput = {
      user: body.user,
      ...(body.count !== undefined && { count: body.count }),
      ...(body.album && { album: body.album }),
      ...(body.folder && { folder: body.folder }),
      ...(body.vk_token && { sourceToken: body.vk_token }),
      targets: body.targets.map(toCredentials),
    };
    const id = `vk-backup-${randomUUID()}`;
    await deps.temporal.workflow.start('vkBackup', {
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      workflowId: id,
      args: [input],
    });
    res.status(202).json({ id, status_url: `/vk-backups/${id}` });
  });

  router.get('/vk-backups/:id', async (req, res) => {
    const id = req.params.id;
    if (!/^vk-backup-[\w.-]{1,200}$/.test(id)) throw new HttpError(404, 'not_found', `No VK backup ${id}`);
    const status = await describeBackup(deps.temporal, id);
    if (!status) throw new HttpError(404, 'not_found', `No VK backup ${id}`);
    res.json(status);
  });

  return router;
}
