// The photo-backup routes of one source (POST /vk-backups, /ok-backups and GET …/{id}), built from one
// definition so VK and OK take the same body and answer the same shape. With "schedule" the POST
// creates a Temporal Schedule (client/backup-schedules.ts) instead of one run. Tokens in the body go to
// Temporal encrypted (the payload codec) and are never echoed back.
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { createBackupSchedule, scheduleSpecProblem } from '../../client/backup-schedules';
import { describeBackup } from '../../client/backup-status';
import type { DestinationCredentials } from '../../lib/jobs/copy-to-cloud';
import {
  PHOTO_BACKUP_WORKFLOW_TYPES,
  PHOTO_SOURCES,
  type PhotoBackupInput,
  type PhotoSourceKind,
} from '../../lib/jobs/photo-backup';
import type { ApiDeps } from '../deps';
import { HttpError, parseOr400 } from '../errors';
import { errorResponses, ErrorBody, registry, z } from '../openapi';

interface PhotoBackupRouteSpec {
  source: PhotoSourceKind;
  /** `vk_token` / `ok_token`. */
  tokenField: string;
  tokenHelp: string;
  userHelp: string;
  userExample: string;
  /** OpenAPI component names. */
  requestName: string;
  statusName: string;
}

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

const Schedule = z
  .object({
    every: z.string().max(40).optional().openapi({ description: 'Interval: 1d, 24h, 90m, 1h30m (1 minute at least)' }),
    cron: z.string().max(200).optional().openapi({ description: 'Five-field cron expression, UTC: "0 4 * * *"' }),
  })
  .superRefine((s, ctx) => {
    const problem = scheduleSpecProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.field.split('.').slice(1) });
  })
  .openapi({
    description:
      'Back up on a schedule instead of once: each run copies only new photos and the report lists every photo ' +
      'backed up so far. The first run starts at once. Answers 201 with the schedule (see /backup-schedules).',
  });

function requestSchema(spec: PhotoBackupRouteSpec) {
  const rules = PHOTO_SOURCES[spec.source];
  return registry.register(
    spec.requestName,
    z.object({
      user: z.string().trim().min(1).max(200).openapi({ description: spec.userHelp, example: spec.userExample }),
      count: z
        .union([z.number().int().min(1).max(100_000), z.literal('all')])
        .optional()
        .openapi({ description: 'Newest N photos (default 5) or "all"' }),
      album: z
        .string()
        .regex(rules.albumPattern, `must be ${rules.albumHelp}`)
        .optional()
        .openapi({ description: `${rules.albumHelp} (default ${rules.defaultAlbum})` }),
      folder: z
        .string()
        .trim()
        .min(1)
        .max(255)
        .refine((f) => !f.split('/').some((p) => p === '..' || p === '.'), 'must not contain . or .. parts')
        .optional()
        .openapi({ description: `Folder at every target (default ${rules.defaultFolder})` }),
      [spec.tokenField]: secret(spec.tokenHelp).optional(),
      targets: z
        .array(z.discriminatedUnion('cloud', [YandexTarget, DriveTarget]))
        .min(1)
        .max(2)
        .refine((t) => new Set(t.map((x) => x.cloud)).size === t.length, 'name each cloud once'),
      schedule: Schedule.optional(),
    }),
  );
}

const TargetStatus = () =>
  z.object({
    cloud: z.string(),
    status: z.enum(['pending', 'copying', 'done', 'partial', 'failed']),
    copied: z.number().int(),
    alreadyThere: z.number().int(),
    failed: z.number().int(),
    bytesDone: z.number().int(),
    error: z.object({ type: z.string(), message: z.string() }).optional(),
    reportPath: z.string().optional(),
  });

function statusSchema(spec: PhotoBackupRouteSpec) {
  return registry.register(
    spec.statusName,
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
      targets: z.array(TargetStatus()),
      report: z
        .array(z.object({ file_name: z.string(), size: z.string() }))
        .optional()
        .openapi({ description: 'The seeds\' report: [{"file_name": "34.jpg", "size": "z"}]' }),
      reason: z.object({ type: z.string(), message: z.string() }).optional().openapi({
        description:
          'Why it failed: AccessDenied (private profile, album), SourceNotFound, AuthRevoked, ConfigurationError ...',
      }),
    }),
  );
}

const Created = z.object({ id: z.string(), status_url: z.string() });

/** The parsed body (the token's field name differs by source). */
interface BackupBody {
  user: string;
  count?: number | 'all';
  album?: string;
  folder?: string;
  targets: Array<z.infer<typeof YandexTarget> | z.infer<typeof DriveTarget>>;
  schedule?: { every?: string; cron?: string };
  [tokenField: string]: unknown;
}

function registerPaths(spec: PhotoBackupRouteSpec, path: string, request: z.ZodType, status: z.ZodType) {
  const label = PHOTO_SOURCES[spec.source].label;
  registry.registerPath({
    method: 'post',
    path,
    summary: `Back up a ${label} user's photos to Yandex Disk and/or Google Drive, once or on a schedule`,
    request: { body: { content: { 'application/json': { schema: request } } } },
    responses: {
      202: { description: 'Started', content: { 'application/json': { schema: Created } } },
      201: {
        description: 'Schedule created (with "schedule"); status_url is its /backup-schedules/{id}',
        content: { 'application/json': { schema: Created } },
      },
      400: errorResponses[400],
    },
  });
  registry.registerPath({
    method: 'get',
    path: `${path}/{id}`,
    summary: `State, progress, report and failure reason of a ${label} backup`,
    request: { params: z.object({ id: z.string() }) },
    responses: {
      200: { description: 'The backup', content: { 'application/json': { schema: status } } },
      404: { description: 'No such backup', content: { 'application/json': { schema: ErrorBody } } },
    },
  });
}

const toCredentials = (t: z.infer<typeof YandexTarget> | z.infer<typeof DriveTarget>): DestinationCredentials =>
  t.cloud === 'yadisk'
    ? { cloud: 'yadisk', token: t.token }
    : {
        cloud: 'google_drive',
        refreshToken: t.refresh_token,
        ...(t.client_id && { clientId: t.client_id }),
        ...(t.client_secret && { clientSecret: t.client_secret }),
      };

/**
 * Temporal has the last word on a spec it cannot use (a cron minute 99): its client throws a TypeError
 * for an invalid spec, a ServiceError over gRPC INVALID_ARGUMENT for other refusals. Both are a 400.
 */
function refusedSchedule(err: unknown): never {
  const invalid = err instanceof TypeError || (err as { cause?: { code?: number } }).cause?.code === 3;
  if (!invalid) throw err;
  const message = (err as Error).message;
  throw new HttpError(400, 'invalid_request', 'Invalid body: schedule', [{ field: 'schedule', message }]);
}

/** What the OpenAPI document says of each source's own fields. */
const SOURCE_FIELDS: Record<PhotoSourceKind, Pick<PhotoBackupRouteSpec, 'tokenHelp' | 'userHelp' | 'userExample'>> = {
  vk: {
    tokenHelp: "VK user access token; the server's VK_TOKEN when omitted",
    userHelp: 'VK user id or screen name',
    userExample: 'durov',
  },
  ok: {
    tokenHelp: "OK user access token; the server's OK_ACCESS_TOKEN when omitted (requests are signed by the worker)",
    userHelp: 'OK user id (the digits of https://ok.ru/profile/<id>)',
    userExample: '571000000001',
  },
};

function routeSpec(source: PhotoSourceKind): PhotoBackupRouteSpec {
  const name = `${source[0]!.toUpperCase()}${source.slice(1)}Backup`;
  return {
    source,
    tokenField: `${source}_token`,
    ...SOURCE_FIELDS[source],
    requestName: `${name}Request`,
    statusName: `${name}Status`,
  };
}

/** A source's routes; its request and status schemas go in the OpenAPI document. */
function photoBackupApi(spec: PhotoBackupRouteSpec) {
  const path = `/${spec.source}-backups`;
  const idPattern = new RegExp(`^${spec.source}-backup-[\\w.:-]{1,200}$`);
  const label = PHOTO_SOURCES[spec.source].label;
  const request = requestSchema(spec);
  const status = statusSchema(spec);
  registerPaths(spec, path, request, status);

  const routes = (deps: ApiDeps): Router => {
    const router = Router();
    router.post(path, async (req, res) => {
      const body = parseOr400(request, req.body) as BackupBody;
      const token = body[spec.tokenField] as string | undefined;
      const input: PhotoBackupInput = {
        user: body.user,
        ...(body.count !== undefined && { count: body.count }),
        ...(body.album && { album: body.album }),
        ...(body.folder && { folder: body.folder }),
        ...(token && { sourceToken: token }),
        targets: body.targets.map(toCredentials),
      };
      if (body.schedule) {
        const schedule =
          body.schedule.every !== undefined ? { every: body.schedule.every } : { cron: body.schedule.cron! };
        const id = await createBackupSchedule(deps.temporal, {
          taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
          input: { ...input, source: spec.source },
          schedule,
        }).catch(refusedSchedule);
        res.status(201).json({ id, status_url: `/backup-schedules/${id}` });
        return;
      }
      const id = `${spec.source}-backup-${randomUUID()}`;
      await deps.temporal.workflow.start(PHOTO_BACKUP_WORKFLOW_TYPES[spec.source], {
        taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
        workflowId: id,
        args: [input],
      });
      res.status(202).json({ id, status_url: `${path}/${id}` });
    });

    router.get(`${path}/:id`, async (req, res) => {
      const id = req.params.id;
      if (!idPattern.test(id)) throw new HttpError(404, 'not_found', `No ${label} backup ${id}`);
      const found = await describeBackup(deps.temporal, id, PHOTO_BACKUP_WORKFLOW_TYPES[spec.source]);
      if (!found) throw new HttpError(404, 'not_found', `No ${label} backup ${id}`);
      res.json(found);
    });
    return router;
  };
  return routes;
}

// Registered in this order, OK first, as the OpenAPI document always listed them.
export const okBackupRoutes = photoBackupApi(routeSpec('ok'));
export const vkBackupRoutes = photoBackupApi(routeSpec('vk'));
