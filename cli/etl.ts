// `ferry etl ...`: the daily ETL by hand. `schedule` creates or updates the etl-daily Schedule (what
// the worker does at start); `run` starts a run of yesterday or a backfill of a date range.
import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { loadConfig } from '../lib/config';
import { ensureEtlSchedule } from '../client/etl-schedule';
import { rangeProblems, utcDay } from '../lib/etl-windows';
import { ETL_RUN_WORKFLOW_TYPE, type EtlRunInput } from '../lib/jobs/etl-run';
import { createClient } from '../lib/temporal';

export function etlCommand(): Command {
  const etl = new Command('etl').description('daily ETL: IT Resume -> PostgreSQL -> Google Sheets -> e-mail');

  etl
    .command('schedule')
    .description('create or update the etl-daily Temporal Schedule (ETL_SCHEDULE_CRON, UTC)')
    .action(async () => {
      const config = loadConfig();
      const client = await createClient(config);
      try {
        const result = await ensureEtlSchedule(client, config);
        console.log(
          `schedule ${result.scheduleId} ${result.action}: cron "${result.cron}" (UTC), overlap SKIP, catch-up 1 day`,
        );
      } finally {
        await client.connection.close();
      }
    });

  etl
    .command('run')
    .description('run the ETL now: yesterday, one day (--start) or a backfill (--start and --end, inclusive)')
    .option('--start <date>', 'first UTC day, YYYY-MM-DD')
    .option('--end <date>', 'last UTC day, YYYY-MM-DD (inclusive)')
    .option('--wait', 'wait for the run to finish and print its result')
    .action(async (opts: { start?: string; end?: string; wait?: boolean }, cmd: Command) => {
      const problems = rangeProblems(opts, utcDay(Date.now()));
      if (problems.length) {
        cmd.error(problems.map((p) => `error: --${p.field} ${p.message}`).join('\n'), { exitCode: 2 });
      }
      const config = loadConfig();
      const client = await createClient(config);
      try {
        const input: EtlRunInput = {
          start: opts.start,
          end: opts.end,
          trigger: opts.start ? 'backfill' : 'manual',
          lookbackHours: config.ETL_LOOKBACK_HOURS,
        };
        const handle = await client.workflow.start(ETL_RUN_WORKFLOW_TYPE, {
          workflowId: `etl-run-${randomUUID()}`,
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          args: [input],
        });
        console.log(`started ${handle.workflowId}`);
        if (opts.wait) console.log(JSON.stringify(await handle.result(), null, 2));
      } finally {
        await client.connection.close();
      }
    });

  return etl;
}
