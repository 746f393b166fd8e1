// The cloud_archive API's schemas: validated by the routes and rendered into /openapi.json from the
// same definitions. Field names are the gallery front end's (seed 002): keep them.
import { errorResponses, ErrorBody, PUBLIC, registry, z } from '../openapi';

const link = (description: string, example: string) => z.string().max(2048).openapi({ description, example });

export const CloudArchiveBody = z
  .object({
    redirect_success_link: link(
      'Where the user goes once consent is given and the copy has started (https, host in REDIRECT_ALLOWED_HOSTS)',
      'https://app.litegallery.io/g/test_16?cloud=started',
    ),
    redirect_fail_link: link(
      'Where the user goes when consent is refused, the exchange fails or the request expired',
      'https://app.litegallery.io/g/test_16?cloud=failed',
    ),
    archive_url: link(
      'The gallery\'s "download archive" link (https, host in GALLERY_ALLOWED_HOSTS); only its path is used',
      'https://arch-d.lite.gallery/g/api/stream/858329/f9d24b1dfb81a1bfa215cc008f46f3d3?mod=web',
    ),
    gallery_name: z
      .string()
      .trim()
      .min(1)
      .max(255)
      .openapi({ description: 'Name of the folder created at the destination', example: 'Wedding 2024' }),
    archive_type: z.enum(['webs', 'originals']).openapi({ description: 'Web-sized copies or the originals' }),
    cloud_type: z.enum(['google_drive', 'yadisk']).openapi({ description: 'The destination cloud' }),
  })
  .openapi('CloudArchiveRequest');

const CloudArchiveCreated = z
  .object({
    redirect_to: z.string().openapi({ description: "The provider's consent page: send the user there" }),
    id: z.string().openapi({ description: 'Request id for GET /cloud_archive/{id}' }),
    status_url: z.string(),
  })
  .openapi('CloudArchiveCreated');

const counts = z.object({ total: z.number().int(), done: z.number().int(), failed: z.number().int() });

const CloudArchiveStatusSchema = z
  .object({
    id: z.string(),
    state: z.enum(['awaiting_authorization', 'listing', 'copying', 'notifying', 'done', 'failed', 'expired']),
    gallery_name: z.string(),
    cloud_type: z.enum(['google_drive', 'yadisk']),
    archive_type: z.enum(['webs', 'originals']),
    created_at: z.string(),
    expires_at: z.string().openapi({ description: 'When an unanswered consent request expires' }),
    progress: z.object({ files: counts, bytes: counts }),
    report: z
      .object({
        failed_photos: z.number().int(),
        copied: z.number().int(),
        already_there: z.number().int(),
        failed: z.array(z.object({ name: z.string(), reason: z.string() })),
        renamed: z.array(z.object({ name: z.string(), from: z.string() })),
        notified_at: z.string().nullable(),
      })
      .nullable(),
    error: z.object({ type: z.string(), message: z.string() }).nullable(),
  })
  .openapi('CloudArchiveStatus');

/** What Ferry sends the platform when a request has finished (the outbound hand-off, not a route of ours). */
const CloudArchiveDoneBody = z
  .object({
    cloud_type: z.enum(['google_drive', 'yadisk']).openapi({ description: "The request's cloud_type" }),
    failed_photos: z.number().int().min(0).openapi({
      description: 'Listing entries set aside plus files that could not be copied (0: the whole gallery is there)',
    }),
    archive_type: z.enum(['webs', 'originals']).openapi({ description: "The request's archive_type" }),
    archive_url: z.string().openapi({
      description: "The request's archive_url, exactly as received: says which gallery finished",
      example: 'https://arch-d.lite.gallery/g/api/stream/858329/f9d24b1dfb81a1bfa215cc008f46f3d3?mod=web',
    }),
    gallery_name: z.string().openapi({ description: "The request's gallery_name", example: 'Wedding 2024' }),
    id: z.string().openapi({
      description: "Ferry's request id (as POST /cloud_archive answered it; GET /cloud_archive/{id})",
      example: 'q3zK1u7bS0y9fJ2m4nLx8w',
    }),
  })
  .openapi('CloudArchiveDone');

export const CallbackQuery = z.object({
  state: z.string().min(1).max(200).openapi({ description: 'The state Ferry put in the consent URL' }),
  code: z.string().min(1).max(4096).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(2000).optional(),
});

let registered = false;
export function registerCloudArchivePaths(): void {
  if (registered) return;
  registered = true;
  registry.registerPath({
    method: 'post',
    path: '/cloud_archive',
    summary: 'Start a gallery archive -> Google Drive / Yandex Disk copy: returns the consent URL',
    security: PUBLIC,
    request: { body: { content: { 'application/json': { schema: CloudArchiveBody } } } },
    responses: {
      200: {
        description: 'Send the user to redirect_to',
        content: { 'application/json': { schema: CloudArchiveCreated } },
      },
      400: errorResponses[400],
      413: { description: 'Body too large', content: { 'application/json': { schema: ErrorBody } } },
      429: { description: 'Rate limited (per client IP)', content: { 'application/json': { schema: ErrorBody } } },
      503: { description: 'The cloud is not configured', content: { 'application/json': { schema: ErrorBody } } },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/cloud_archive/{id}',
    summary: 'State, progress and (at the end) the report of a cloud_archive request',
    security: PUBLIC,
    request: { params: z.object({ id: z.string().openapi({ example: 'q3zK1u7bS0y9fJ2m4nLx8w' }) }) },
    responses: {
      200: { description: 'The status', content: { 'application/json': { schema: CloudArchiveStatusSchema } } },
      404: errorResponses[404],
    },
  });
  registry.registerWebhook({
    method: 'post',
    path: '/cloud_archive/done',
    summary: 'Ferry -> the gallery platform: POST {GALLERY_API_URL}/cloud_archive/done when a request finished',
    description:
      'Sent once per request that copied (retried on any non-2xx until GALLERY_DONE_RETRY_HOURS). ' +
      "cloud_type, failed_photos and archive_type are the seed's fields, unchanged; archive_url, " +
      'gallery_name and id say which gallery it is about (extra fields a strict receiver ignores).',
    request: { body: { content: { 'application/json': { schema: CloudArchiveDoneBody } } } },
    responses: { 200: { description: 'Any 2xx: the platform has it' } },
  });
  for (const provider of ['google', 'yandex'] as const) {
    registry.registerPath({
      method: 'get',
      path: `/oauth/${provider}/callback`,
      summary: `OAuth redirect URI for ${provider === 'google' ? 'Google' : 'Yandex'} (the provider sends the user here)`,
      security: PUBLIC,
      request: { query: CallbackQuery },
      responses: {
        302: { description: 'To redirect_success_link, or redirect_fail_link (denied, failed exchange, expired)' },
        400: {
          description: 'Unknown, tampered or already used state',
          content: { 'application/json': { schema: ErrorBody } },
        },
      },
    });
  }
}
