// The OpenAPI document is generated from the same zod schemas the routes validate with: each route
// module registers its paths on this registry, and GET /openapi.json renders it.
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

export const errorResponses = {
  400: {
    description: 'Invalid request; details name each bad field',
    content: { 'application/json': { schema: ErrorBody } },
  },
  404: { description: 'Not found', content: { 'application/json': { schema: ErrorBody } } },
};

export function openApiDocument(publicUrl: string) {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Ferry',
      version: '0.1.0',
      description: 'Durable transfers of photos and data, orchestrated by Temporal.',
    },
    servers: [{ url: publicUrl }],
  });
}

export { z };
