// The OpenAPI document is generated from the same zod schemas the routes validate with: each route
// module registers its paths on this registry, and GET /openapi.json renders it. As in app.ts, an
// operation is the operators' (bearer FERRY_API_TOKEN) unless it says otherwise: public ones register
// `security: PUBLIC`, the codec its own scheme.
import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

extendZodWithOpenApi(z);

export const registry = new OpenAPIRegistry();

export const ErrorBody = registry.register(
  'Error',
  z.object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.unknown().nullable(),
    }),
  }),
);

registry.registerComponent('securitySchemes', 'FerryApiToken', {
  type: 'http',
  scheme: 'bearer',
  description: "One of the server's FERRY_API_TOKEN values (comma-separated there, for rotation).",
});
registry.registerComponent('securitySchemes', 'CodecToken', {
  type: 'http',
  scheme: 'bearer',
  description: 'FERRY_CODEC_TOKEN, or the session cookie from /codec/login (the Temporal Web UI in a browser).',
});

/** `security` of an operation anyone may call. */
export const PUBLIC: Array<Record<string, string[]>> = [];
const OPERATOR_SECURITY = [{ FerryApiToken: [] }];

export const errorResponses = {
  400: {
    description: 'Invalid request; details name each bad field',
    content: { 'application/json': { schema: ErrorBody } },
  },
  404: { description: 'Not found', content: { 'application/json': { schema: ErrorBody } } },
};

type Operation = { security?: unknown; responses?: Record<string, unknown> };

/** Every operation that does not declare its security gets the operators' token, and its 401. */
function operatorsByDefault(paths: Record<string, object> = {}): void {
  for (const item of Object.values(paths)) {
    for (const [method, op] of Object.entries(item) as Array<[string, Operation]>) {
      if (!['get', 'put', 'post', 'delete', 'patch'].includes(method) || op.security !== undefined) continue;
      op.security = OPERATOR_SECURITY;
      op.responses = {
        ...op.responses,
        401: {
          description: 'No or wrong Authorization: Bearer <FERRY_API_TOKEN>',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      };
    }
  }
}

export function openApiDocument(publicUrl: string) {
  const doc = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Ferry',
      version: '0.1.0',
      description: 'Durable transfers of photos and data, orchestrated by Temporal.',
    },
    servers: [{ url: publicUrl }],
  });
  operatorsByDefault(doc.paths);
  return doc;
}

export { z };
