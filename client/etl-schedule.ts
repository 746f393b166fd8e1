// The `etl-daily` Temporal Schedule: created, or brought up to date, idempotently — by the worker at
// start and by `ferry etl schedule`. Cron in UTC from ETL_SCHEDULE_CRON; overlap SKIP (a run still
// going means the next one is skipped, never stacked); a catch-up window of one day (after an outage
// only the latest missed run is made up, not a week of them).
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { Config } from '../lib/config';
import { ETL_RUN_WORKFLOW_TYPE, type EtlRunInput } from '../lib/jobs/etl-run';
import { createClient } from '../lib/temporal';

interface EtlScheduleResult {
  scheduleId: string;
  action: 'created' | 'updated';
  cron: string;
}

function options(config: Config, taskQueue: string) {
  return {
    spec: { cronExpressions: [config.ETL_SCHEDULE_CRON], timezone: 'UTC' },
    action: {
      type: 'startWorkflow' as const,
      workflowType: ETL_RUN_WORKFLOW_TYPE,
      workflowId: `${config.ETL_SCHEDULE_ID}-run`,
      taskQueue,
      args: [{ trigger: 'schedule', lookbackHours: config.ETL_LOOKBACK_HOURS } satisfies EtlRunInput],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
  } satisfies Omit<ScheduleOptions, 'scheduleId'>;
}

export async function ensureEtlSchedule(
  client: Client,
  config: Config,
  taskQueue = config.TEMPORAL_TASK_QUEUE,
): Promise<EtlScheduleResult> {
  const scheduleId = config.ETL_SCHEDULE_ID;
  const wanted = options(config, taskQueue);
  const handle = client.schedule.getHandle(scheduleId);
  try {
    await handle.describe();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    try {
      await client.schedule.create({ scheduleId, ...wanted });
      return { scheduleId, action: 'created', cron: config.ETL_SCHEDULE_CRON };
    } catch (createErr) {
      // Another worker created it between our describe and create: fall through to update.
      if ((createErr as Error).name !== 'ScheduleAlreadyRunning') throw createErr;
    }
  }
  await handle.update((prev) => ({ ...prev, spec: wanted.spec, action: wanted.action, policies: wanted.policies }));
  return { scheduleId, action: 'updated', cron: config.ETL_SCHEDULE_CRON };
}

/**
 * The worker's start-up call: ensures the schedule when the ETL is configured (ITRESUME_CLIENT set),
 * and never stops the worker from starting — a failure is logged and the next start tries again.
 */
export async function ensureEtlScheduleAtStart(
  config: Config,
  logger: { info(o: object, m: string): void; error(o: object, m: string): void },
): Promise<EtlScheduleResult | undefined> {
  if (!config.ITRESUME_CLIENT) {
    logger.info(
      { scheduleId: config.ETL_SCHEDULE_ID },
      'daily ETL not configured (ITRESUME_CLIENT unset): no schedule',
    );
    return undefined;
  }
  try {
    const client = await createClient(config);
    try {
      const result = await ensureEtlSchedule(client, config);
      logger.info(result, `ETL schedule ${result.action}`);
      return result;
    } finally {
      await client.connection.close();
    }
  } catch (err) {
    logger.error({ err, scheduleId: config.ETL_SCHEDULE_ID }, 'could not create or update the ETL schedule');
    return undefined;
  }
}
