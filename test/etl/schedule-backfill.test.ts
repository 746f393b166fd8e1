// The worker as users run it (workers/main.ts in a child process): at start it creates the etl-daily
// Schedule with the configured cron; a 5-day backfill creates 5 windows and survives the worker being
// SIGKILLed in the middle — a new worker resumes at the window that was running, not at day 1.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { freePort } from '../../dev/ports';
import { testClient, uniqueTaskQueue } from '../helpers/temporal';
import { attemptsOn, etlWorld } from './harness';

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

async function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], {
    env: {
      ...process.env,
      ...env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      DATABASE_URL: inject('databaseUrl'),
      FERRY_ENCRYPTION_KEY: inject('encryptionKey'),
      FERRY_DATA_DIR: '.data/test',
      WORKER_HEALTH_PORT: String(await freePort()),
      WORKER_SDK_METRICS_PORT: String(await freePort()),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  child.on('exit', (code, signal) => {
    if (code) console.error(`worker exited with ${code} ${signal ?? ''}\n${stderr}`);
  });
  children.push(child);
  return child;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('etl-daily schedule and a resumable backfill', () => {
  it('the worker creates the schedule at start; a 5-day backfill survives a SIGKILL of the worker', async () => {
    const days = ['2023-04-01', '2023-04-02', '2023-04-03', '2023-04-04', '2023-04-05'];
    const taskQueue = uniqueTaskQueue('etl-kill');
    const scheduleId = `etl-daily-test-${randomUUID().slice(0, 8)}`;
    const world = await etlWorld({
      days,
      recordsPerDay: 120,
      seed: 'backfill',
      env: { TEMPORAL_TASK_QUEUE: taskQueue, ETL_SCHEDULE_ID: scheduleId, ETL_SCHEDULE_CRON: '17 5 * * *' },
    });
    const client = await testClient(world.config);
    // Day 3's first request is held long enough for the kill to land while it is in flight.
    world.itresume.faults.add({
      when: (_req, url) => url.searchParams.get('start')?.startsWith('2023-04-03') ?? false,
      fault: { kind: 'delay', ms: 60_000 },
    });

    let worker = await startWorker(world.env);
    const schedule = await until('the schedule', () => client.schedule.getHandle(scheduleId).describe());
    // Temporal stores the cron as a calendar: 17 5 * * * is minute 17 of hour 5, UTC.
    const calendar = schedule.spec.calendars?.[0];
    expect(calendar?.minute).toEqual([{ start: 17, end: 17, step: 1 }]);
    expect(calendar?.hour).toEqual([{ start: 5, end: 5, step: 1 }]);
    expect(schedule.spec.timezone ?? 'UTC').toBe('UTC');
    expect(schedule.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(schedule.policies.catchupWindow).toBe(86_400_000);
    expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'etlRun', taskQueue });

    const handle = await client.workflow.start('etlRun', {
      taskQueue,
      workflowId: `etl-backfill-${randomUUID()}`,
      args: [{ start: days[0], end: days[4], trigger: 'backfill', lookbackHours: 0 }],
    });
    await until('day 3 in flight', async () =>
      world.itresume.requests.some((r) => r.query.start?.startsWith('2023-04-03')) ? true : undefined,
    );
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    const before = await world.pool.query<{ status: string }>(
      'select status from etl_runs where workflow_id = $1 order by window_start',
      [handle.workflowId],
    );
    expect(before.rows.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'running']);

    worker = await startWorker(world.env);
    const result = (await handle.result()) as { windows: Array<{ day: string; inserted: number }> };
    expect(result.windows.map((w) => w.day)).toEqual(days);

    const runs = await world.pool.query<{ status: string; inserted: number; duplicates: number }>(
      'select status, inserted, duplicates from etl_runs where workflow_id = $1 order by window_start',
      [handle.workflowId],
    );
    expect(runs.rows).toHaveLength(5);
    expect(runs.rows.every((r) => r.status === 'succeeded' && r.duplicates === 0)).toBe(true);
    for (const day of days) expect(await attemptsOn(world.pool, day)).toBe(world.itresume.expected(day).attempts);
    // Days 1 and 2 were not fetched again; day 3 twice (the killed attempt and the retry).
    const fetchedDays = world.itresume.requests.map((r) => r.query.start!.slice(0, 10));
    expect(fetchedDays).toEqual(['2023-04-01', '2023-04-02', '2023-04-03', '2023-04-03', '2023-04-04', '2023-04-05']);
    expect(world.sheets.rows(world.spreadsheetId).map((r) => r[0])).toEqual(['date', ...days]);

    worker.kill('SIGTERM');
    await client.schedule.getHandle(scheduleId).delete();
  }, 180_000);
});
