// /healthz: the process is up. /readyz: the dependencies answer (Temporal, and PostgreSQL when configured).
import { Router } from 'express';
import type { ApiDeps } from '../deps';
import { PUBLIC, registry, z } from '../openapi';

const Readiness = z.object({
  ready: z.boolean(),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), error: z.string().optional() })),
});

registry.registerPath({
  method: 'get',
  path: '/healthz',
  summary: 'Liveness: the API process is up',
  security: PUBLIC,
  responses: {
    200: { description: 'Up', content: { 'application/json': { schema: z.object({ ok: z.literal(true) }) } } },
  },
});
registry.registerPath({
  method: 'get',
  path: '/readyz',
  summary: 'Readiness: Temporal and PostgreSQL answer',
  security: PUBLIC,
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: Readiness } } },
    503: { description: 'Not ready', content: { 'application/json': { schema: Readiness } } },
  },
});

const CHECK_TIMEOUT_MS = 2_000;

async function check(fn: () => Promise<unknown>): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS))),
    ]);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  router.get('/readyz', async (_req, res) => {
    const checks: Record<string, { ok: boolean; error?: string }> = {
      temporal: await check(() =>
        deps.temporal.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
          deps.temporal.workflowService.getSystemInfo({}),
        ),
      ),
    };
    if (deps.pool) checks.database = await check(() => deps.pool!.query('select 1'));
    const ready = Object.values(checks).every((c) => c.ok);
    res.status(ready ? 200 : 503).json({ ready, checks });
  });
  return router;
}
