// Scheduled photo backups from the command line: `ferry vk-backup|ok-backup <user> --every 1d` creates
// one (through scheduleBackup below), `ferry backups list|pause|resume|delete` looks after them.
import { Command } from 'commander';
import type { Client } from '@temporalio/client';
import {
  createBackupSchedule,
  deleteBackupSchedule,
  describeBackupSchedule,
  listBackupSchedules,
  scheduleSpecProblem,
  setBackupSchedulePaused,
  type BackupScheduleInfo,
  type BackupScheduleSpec,
} from '../client/backup-schedules';
import { ConfigError, loadConfig, type Config } from '../lib/config';
import type { PhotoBackupInput, PhotoSourceKind } from '../lib/jobs/photo-backup';
import { createClient } from '../lib/temporal';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

/** A mistake of the user's (bad option, unknown id): exit code 2. */
export class UsageError extends Error {}

/** --every / --cron as a schedule spec; undefined for a single backup. */
export function scheduleOption(opts: { every?: string; cron?: string }): BackupScheduleSpec | undefined {
  if (opts.every === undefined && opts.cron === undefined) return undefined;
  if (opts.every !== undefined && opts.cron !== undefined) throw new UsageError('give --every or --cron, not both');
  const spec = opts.every !== undefined ? { every: opts.every } : { cron: opts.cron! };
  const problem = scheduleSpecProblem(spec);
  if (problem) throw new UsageError(`--${problem.field.replace('schedule.', '')} ${problem.message}`);
  return spec;
}

const when = (spec: BackupScheduleSpec) => ('every' in spec ? `every ${spec.every}` : `on cron "${spec.cron}" (UTC)`);

/** Creates the schedule of `ferry … --every`; prints its id and how to manage it. */
export async function scheduleBackup(
  client: Client,
  config: Config,
  opts: {
    input: PhotoBackupInput & { source: PhotoSourceKind };
    schedule: BackupScheduleSpec;
    what: string;
    say: (line: string) => void;
  },
): Promise<number> {
  const id = await createBackupSchedule(client, {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    input: opts.input,
    schedule: opts.schedule,
  }).catch((err: unknown) => {
    // Temporal's client refuses a spec it cannot use (a cron minute 99) with a TypeError.
    throw err instanceof TypeError ? new UsageError(`invalid schedule: ${err.message}`) : err;
  });
  const info = await describeBackupSchedule(client, id);
  opts.say(
    `Scheduled ${opts.input.source.toUpperCase()} backup of ${opts.input.user} ${when(opts.schedule)}: ${opts.what}`,
  );
  opts.say(
    `Schedule ${id}: the first backup runs now${info?.next_runs[0] ? `, the next at ${info.next_runs[0]}` : ''}`,
  );
  opts.say('Each run copies only new photos; photos.json at the cloud lists every photo backed up so far.');
  opts.say(`Manage it with: ferry backups list | pause ${id} | resume ${id} | delete ${id}`);
  return EXIT_OK;
}

function describeLine(s: BackupScheduleInfo): string {
  const state = s.paused ? 'paused' : `next ${s.next_runs[0] ?? '-'}`;
  const last = s.recent_runs.at(-1);
  const count = s.count === 'all' ? 'all photos' : `newest ${s.count}`;
  const what = `${s.source} ${s.user} album ${s.album}, ${count} ${when(s.schedule)} -> ${s.clouds.join(',')}:${s.folder}`;
  return `${s.id}  ${what}  ${state}${last ? `  last run ${last.started_at}` : ''}`;
}

/** Runs one `ferry backups` subcommand with its own client, turning failures into one line and an exit code. */
function action(fn: (client: Client, say: (l: string) => void, id?: string) => Promise<number>) {
  return async (id?: string) => {
    const say = (line: string) => process.stdout.write(`${line}\n`);
    try {
      const client = await createClient(loadConfig());
      process.exitCode = await fn(client, say, id);
    } catch (err) {
      const message = err instanceof ConfigError ? err.problems.join('; ') : (err as Error).message.split('\n')[0];
      process.stderr.write(`ferry: ${message}\n`);
      process.exitCode = err instanceof ConfigError || err instanceof UsageError ? EXIT_USAGE : EXIT_FAILED;
    }
    process.exit(process.exitCode);
  };
}

const noSuch = (id: string) => new UsageError(`no backup schedule ${id} (see ferry backups list)`);

export function backupsCommand(): Command {
  // exitOverride before the subcommands, so they inherit it: a usage mistake exits 2 (cli/main.ts).
  const cmd = new Command('backups')
    .description('scheduled photo backups (created with vk-backup/ok-backup --every)')
    .exitOverride();
  cmd
    .command('list')
    .description('every scheduled backup, with its next run')
    .action(
      action(async (client, say) => {
        const all = await listBackupSchedules(client);
        if (!all.length) say('No scheduled backups.');
        for (const s of all) say(describeLine(s));
        return EXIT_OK;
      }),
    );
  for (const [name, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    cmd
      .command(name)
      .argument('<id>', 'the schedule id (ferry backups list)')
      .description(paused ? 'pause a scheduled backup' : 'resume a paused backup')
      .action(
        action(async (client, say, id) => {
          const s = await setBackupSchedulePaused(client, id!, paused);
          if (!s) throw noSuch(id!);
          say(`${paused ? 'Paused' : 'Resumed'}: ${describeLine(s)}`);
          return EXIT_OK;
        }),
      );
  }
  cmd
    .command('delete')
    .argument('<id>', 'the schedule id (ferry backups list)')
    .description('delete a scheduled backup (the photos already copied stay)')
    .action(
      action(async (client, say, id) => {
        if (!(await deleteBackupSchedule(client, id!))) throw noSuch(id!);
        say(`Deleted schedule ${id}. The photos and photos.json already at the cloud stay.`);
        return EXIT_OK;
      }),
    );
  return cmd;
}
