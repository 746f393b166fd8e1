// POST /etl-runs starts a manual ETL run or a backfill (etlRun workflow) and answers 202 with where to
// follow it; GET /etl-runs/{id} reports its state and, per window, the counts from etl_runs.
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { WorkflowNotFoundError } from '@temporalio/client';
import { addDays, rangeProblems, utcDay } from '../../lib/etl-windows';
import { ETL_RUN_WORKFLOW_TYPE, type EtlRunInput } from '../../lib/jobs/etl-run';
import { failureReason } from '../../lib/failures';
import type { ApiDeps } from '../deps';
import { runsOfWorkflow } from '../etl-runs-store';
import { HttpError, parseOr400 } from '../errors';
import { errorResponses, registry, z } from '../openapi';

const Day = z.string().openapi({ example: '2024-10-08', description: 'UTC date YYYY-MM-DD' });
const EtlRunRequest = registry.register(
  'EtlRunRequest',
  z
    .object({
      start: Day.optional().describe('First day; omitted: yesterday (UTC)'),
      end: Day.optional().describe('Last day, inclusive; omitted: same as start'),
    })
    .strict(),
);
const EtlRunAccepted = registry.register('EtlRunAccepted', z.object({ id: z.string(), status_url: z.string() }));
const EtlWindowState = z.object({
  day: z.string().openapi({ description: 'The UTC day the window loads' }),
  windowStart: z.string(),
  windowEnd: z.string(),
  status: z.enum(['running', 'succeeded', 'failed']),
  fetched: z.number().nullable(),
  inserted: z.number().nullable(),
  duplicates: z.number().nullable(),
  rejected: z.number().nullable(),
  error: z.string().nullable(),
});
const EtlRunState = registry.register(
  'EtlRunState',
  z.object({
    id: z.string(),
    status: z.string().openapi({ example: 'COMPLETED', description: 'Temporal workflow status' }),
    startedAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    failure: z.string().nullable(),
    windows: z.array(EtlWindowState),
    totals: z.object({ fetched: z.number(), inserted: z.number(), duplicates: z.number(), rejected: z.number() }),
  }),
);

registry.registerPath({
  method: 'post',
  path: '/etl-runs',
  summary: 'Start a daily ETL run (no body: yesterday) or a backfill of a date range',
  request: { body: { content: { 'application/json': { schema: EtlRunRequest } } } },
  responses: {
    202: { description: 'Started', content: { 'application/json': { schema: EtlRunAccepted } } },
    400: errorResponses[400],
  },
});
registry.registerPath({
  method: 'get',
  path: '/etl-runs/{id}',
  summary: 'State and per-window counts of an ETL run',
  request: { params: z.object({ id: z.string() }) },
  responses: {
    200: { description: 'The run', content: { 'application/json': { schema: EtlRunState } } },
    404: errorResponses[404],
  },
});

const ID = /^etl-run-[0-9a-f-]{36}$/;

export function etlRunsRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.post('/etl-runs', async (req, res) => {
    const body = parseOr400(EtlRunRequest, req.body ?? {});
    const problems = rangeProblems(body, utcDay(Date.now()));
    if (problems.length) {
      throw new HttpError(400, 'invalid_request', `Invalid body: ${problems.map((p) => p.field).join(', ')}`, problems);
    }
    const id = `etl-run-${randomUUID()}`;
    const input: EtlRunInput = {
      ...body,
      trigger: body.start ? 'backfill' : 'manual',
      lookbackHours: deps.config.ETL_LOOKBACK_HOURS,
    };
    await deps.temporal.workflow.start(ETL_RUN_WORKFLOW_TYPE, {
      workflowId: id,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      args: [input],
    });
    res.status(202).json({ id, status_url: new URL(`/etl-runs/${id}`, deps.config.FERRY_PUBLIC_URL).href });
  });

  router.get('/etl-runs/:id', async (req, res) => {
    const id = req.params.id;
    if (!ID.test(id)) throw new HttpError(404, 'not_found', `No ETL run ${id}`);
    let description;
    try {
      description = await deps.temporal.workflow.getHandle(id).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new HttpError(404, 'not_found', `No ETL run ${id}`);
      throw err;
    }
    const windows = deps.pool ? await runsOfWorkflow(deps.pool, id) : [];
    const sum = (k: 'fetched' | 'inserted' | 'duplicates' | 'rejected') => windows.reduce((n, w) => n + (w[k] ?? 0), 0);
    let failure: string | null = null;
    if (description.status.name === 'FAILED') {
      failure = await deps.temporal.workflow
        .getHandle(id)
        .result()
        .then(
          () => null,
          (err: unknown) => failureReason(err).message,
        );
    }
    res.json({
      id,
      status: description.status.name,
      startedAt: description.startTime.toISOString(),
      closedAt: description.closeTime?.toISOString() ?? null,
      failure,
      windows: windows.map((w) => ({
        day: addDays(w.windowEnd.slice(0, 10), -1),
        windowStart: w.windowStart,
        windowEnd: w.windowEnd,
        status: w.status,
        fetched: w.fetched,
        inserted: w.inserted,
        duplicates: w.duplicates,
        rejected: w.rejected,
        error: w.error,
      })),
      totals: {
        fetched: sum('fetched'),
        inserted: sum('inserted'),
        duplicates: sum('duplicates'),
        rejected: sum('rejected'),
      },
    });
  });
  return router;
}
