// `ferry vk-backup <user>` and `ferry ok-backup <user>`: start the vkBackup / okBackup workflow, show
// its progress, write the JSON report, and exit non-zero with a one-line reason when it fails. With
// --every / --cron they create a backup schedule instead (cli/backups.ts). Tokens come from the
// environment (VK_TOKEN / OK_ACCESS_TOKEN, YANDEX_DISK_TOKEN), else from `ferry login` (cli/tokens.ts),
// and Google's installed-app flow; they travel to the worker encrypted.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Client } from '@temporalio/client';
import { describeBackup, type BackupStatus } from '../client/backup-status';
import { ConfigError, loadConfig, type Config } from '../lib/config';
import type { DestinationCredentials } from '../lib/jobs/copy-to-cloud';
import { FailureType } from '../lib/failures';
import { formatReport } from '../lib/photo-naming';
import {
  backupInputProblems,
  DEFAULT_COUNT,
  PHOTO_BACKUP_WORKFLOW_TYPES,
  PHOTO_SOURCES,
  type PhotoBackupInput,
  type PhotoSourceKind,
} from '../lib/jobs/photo-backup';
import { createClient } from '../lib/temporal';
import { scheduleBackup, scheduleOption, UsageError } from './backups';
import { googleDriveCredentials } from './google-auth';
import { askCancelOrLeave, formatBytes, progressBar } from './progress';
import type { TokenNetwork } from './token-store';
import { chooseToken, describeTokens, TokenUnavailable, type ChosenToken } from './tokens';

/** Exit codes (documented in docs/photo-backup.md): scripts can tell "fix your input" from "try later". */
export const EXIT = { ok: 0, failed: 1, usage: 2, auth: 3, denied: 4, partial: 5, interrupted: 130 } as const;

const exitFor = (type: string | undefined): number => {
  if (type === FailureType.InvalidInput || type === FailureType.ConfigurationError) return EXIT.usage;
  if (type === FailureType.AuthRevoked || type === FailureType.AuthorizationDenied) return EXIT.auth;
  if (type === FailureType.AccessDenied || type === FailureType.SourceNotFound) return EXIT.denied;
  return EXIT.failed;
};

class CliFailure extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

interface Options {
  count: number | 'all';
  album: string;
  to: string[];
  folder: string;
  json?: string;
  clientSecrets?: string;
  progress: boolean;
  every?: string;
  cron?: string;
}

/** What differs between `ferry vk-backup` and `ferry ok-backup`. */
interface PhotoBackupCommand {
  source: PhotoSourceKind;
  name: string;
  description: string;
  userHelp: string;
  /** The variable the source's user token is read from, and what it is. */
  tokenVar: string;
  tokenHelp: string;
}

/** Paths the user typed are relative to where they ran `ferry` (bin/ferry.sh runs us from the project root). */
const userPath = (p: string) => resolve(process.env.FERRY_CALLER_CWD ?? process.cwd(), p);

const CLOUD_NAMES: Record<string, DestinationCredentials['cloud']> = {
  yadisk: 'yadisk',
  yandex: 'yadisk',
  gdrive: 'google_drive',
  google_drive: 'google_drive',
};

function parseCount(v: string): number | 'all' {
  if (v === 'all') return 'all';
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('a positive number or "all"');
  return Number(v);
}

function parseTargets(v: string): string[] {
  const names = v
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const bad = names.find((n) => !CLOUD_NAMES[n]);
  if (bad || !names.length) throw new InvalidArgumentError(`use yadisk, gdrive or yadisk,gdrive (not "${bad ?? v}")`);
  return names;
}

type Tokens = Array<[TokenNetwork, ChosenToken]>;

async function targetsFor(config: Config, opts: Options, say: (l: string) => void, tokens: Tokens) {
  const targets: DestinationCredentials[] = [];
  for (const cloud of new Set(opts.to.map((n) => CLOUD_NAMES[n]!))) {
    if (cloud === 'yadisk') {
      const yandex = chooseToken('yandex', {
        variable: 'YANDEX_DISK_TOKEN',
        hint: '(paste one from https://yandex.ru/dev/disk/poligon/)',
        // An expired access token is renewed by the Disk client when it has a refresh token and the app.
        acceptExpired: (refresh) => Boolean(refresh && config.YANDEX_CLIENT_ID && config.YANDEX_CLIENT_SECRET),
      });
      tokens.push(['yandex', yandex]);
      targets.push({ cloud, token: yandex.token, ...(yandex.refreshToken && { refreshToken: yandex.refreshToken }) });
    } else {
      try {
        targets.push(
          await googleDriveCredentials(config, {
            clientSecretsPath: opts.clientSecrets && userPath(opts.clientSecrets),
            say,
          }),
        );
      } catch (err) {
        throw new CliFailure((err as Error).message, EXIT.auth);
      }
    }
  }
  return targets;
}

const whereTo = (cloud: string, folder: string) =>
  cloud === 'yadisk' ? `Yandex Disk disk:/${folder}` : `Google Drive /${folder}`;

function printSummary(status: BackupStatus, say: (l: string) => void) {
  for (const t of status.targets) {
    const counts = `${t.copied} copied, ${t.alreadyThere} already there, ${t.failed} failed, ${formatBytes(t.bytesDone)}`;
    say(`  ${whereTo(t.cloud, status.folder ?? '')}: ${t.status} (${counts})${t.error ? ` - ${t.error.message}` : ''}`);
    if (t.reportPath) say(`    report: ${t.reportPath}`);
  }
}

/** The source's user token: its variable, else the one `ferry login <source>` saved (TokenUnavailable if neither). */
function sourceToken(cmd: PhotoBackupCommand): ChosenToken {
  return chooseToken(cmd.source, { variable: cmd.tokenVar, hint: `(${cmd.tokenHelp})` });
}

/** A failure to tell the user: when the source refused a saved token (revoked, or expired early), how to renew it. */
function backupFailure(cmd: PhotoBackupCommand, token: ChosenToken, status: BackupStatus): CliFailure {
  const code = exitFor(status.reason?.type);
  const message = status.reason?.message ?? `backup ${status.state}`;
  // The source's own refusals name it ("VK rejected …", "the OK access token has expired …"); a cloud's do not.
  const label = PHOTO_SOURCES[cmd.source].label;
  const bySource = message.startsWith(`${label} `) || message.startsWith(`the ${label} `);
  const renew = code === EXIT.auth && token.fromStore && bySource ? `; run \`ferry login ${cmd.source}\`` : '';
  return new CliFailure(`${message}${renew}`, code);
}

async function run(cmd: PhotoBackupCommand, user: string, opts: Options): Promise<number> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const schedule = scheduleOption(opts);
  if (schedule && opts.json)
    throw new CliFailure('--json is for a single backup: a schedule writes photos.json at the cloud', EXIT.usage);
  const config = loadConfig();
  const token = sourceToken(cmd);
  const tokens: Tokens = [[cmd.source, token]];
  const input: PhotoBackupInput = {
    source: cmd.source,
    user,
    count: opts.count,
    album: opts.album,
    folder: opts.folder,
    targets: [],
    sourceToken: token.token,
  };
  const early = backupInputProblems({ ...input, targets: undefined }).find((p) => p.field !== 'targets');
  if (early) throw new CliFailure(`${early.field} ${early.message}`, EXIT.usage);
  input.targets = await targetsFor(config, opts, say, tokens);
  process.stderr.write(`${describeTokens(tokens)}\n`);
  const problems = backupInputProblems(input);
  if (problems.length) throw new CliFailure(`${problems[0]!.field} ${problems[0]!.message}`, EXIT.usage);

  const client: Client = await createClient(config);
  const label = PHOTO_SOURCES[cmd.source].label;
  const count = opts.count === 'all' ? 'all photos' : `newest ${opts.count}`;
  const what = `album ${opts.album}, ${count} -> ${input.targets.map((t) => whereTo(t.cloud, opts.folder)).join(', ')}`;
  if (schedule) return scheduleBackup(client, config, { input: { ...input, source: cmd.source }, schedule, what, say });

  const workflowId = `${cmd.source}-backup-${user.replace(/[^\w.-]/g, '_')}-${randomUUID().slice(0, 8)}`;
  const handle = await client.workflow.start(PHOTO_BACKUP_WORKFLOW_TYPES[cmd.source], {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowId,
    args: [input],
  });
  say(`Backing up ${label} ${user}: ${what}`);
  say(
    `Workflow ${workflowId} (${config.TEMPORAL_UI_URL}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows/${workflowId})`,
  );

  const bar = opts.progress ? progressBar() : undefined;
  let interrupted: Promise<number> | undefined;
  process.on('SIGINT', () => {
    if (interrupted) process.exit(EXIT.interrupted);
    bar?.stop();
    interrupted = askCancelOrLeave().then(async (choice) => {
      if (choice === 'cancel') {
        await handle.cancel();
        say(`Cancelled: workflow ${workflowId} stops its copies.`);
      } else {
        say(`Left running in Temporal: workflow ${workflowId} carries on without this terminal.`);
      }
      return EXIT.interrupted;
    });
  });

  let status: BackupStatus | undefined;
  for (;;) {
    if (interrupted) return interrupted;
    status = await describeBackup(client, workflowId, PHOTO_BACKUP_WORKFLOW_TYPES[cmd.source]);
    if (status && !interrupted) bar?.update(status);
    if (status && status.state !== 'running') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  bar?.stop();

  if (status.state === 'failed' || !status.report) throw backupFailure(cmd, token, status);
  const jsonPath = userPath(opts.json ?? `${cmd.source}_backup_${user.replace(/[^\w.-]/g, '_')}.json`);
  writeFileSync(jsonPath, formatReport(status.report) + '\n');
  say(
    `${status.state === 'completed' ? 'Done' : 'Finished with errors'}: ${status.report.length} photos of ${status.owner?.name ?? user} backed up`,
  );
  printSummary(status, say);
  say(`Report: ${jsonPath}`);
  if (status.state !== 'completed') {
    const failed = status.targets.find((t) => t.error);
    process.stderr.write(`ferry: ${failed ? `${failed.cloud}: ${failed.error!.message}` : 'some photos failed'}\n`);
    return EXIT.partial;
  }
  return EXIT.ok;
}

export function photoBackupCommand(cmd: PhotoBackupCommand): Command {
  const rules = PHOTO_SOURCES[cmd.source];
  return new Command(cmd.name)
    .description(cmd.description)
    .argument('<user>', cmd.userHelp)
    .option('--count <n>', 'newest N photos, or "all"', parseCount, DEFAULT_COUNT)
    .option('--album <album>', rules.albumHelp, rules.defaultAlbum)
    .addOption(
      new Option('--to <clouds>', 'yadisk, gdrive, or yadisk,gdrive')
        .argParser(parseTargets)
        .default(['yadisk'], 'yadisk'),
    )
    .option('--folder <folder>', 'folder at the cloud', rules.defaultFolder)
    .option('--json <path>', `where to write the JSON report (default ${cmd.source}_backup_<user>.json)`)
    .option('--client-secrets <path>', "Google's client_secrets.json (else GOOGLE_CLIENT_ID/SECRET)")
    .option('--no-progress', 'no progress bar')
    .option('--every <interval>', 'back up on a schedule: 1d, 12h, 90m ... (first run now; new photos only)')
    .option('--cron <expression>', 'back up on a cron schedule, UTC (e.g. "0 4 * * *")')
    .action(async (user: string, opts: Options) => {
      try {
        process.exitCode = await run(cmd, user, opts);
      } catch (err) {
        let code: number = EXIT.failed;
        if (err instanceof CliFailure) code = err.code;
        else if (err instanceof TokenUnavailable) code = err.reason === 'expired' ? EXIT.auth : EXIT.usage;
        else if (err instanceof ConfigError || err instanceof UsageError) code = EXIT.usage;
        const message = err instanceof ConfigError ? err.problems.join('; ') : (err as Error).message.split('\n')[0];
        process.stderr.write(`ferry: ${message}\n`);
        process.exitCode = code;
      }
      // The Temporal connection would keep the process alive.
      process.exit(process.exitCode);
    });
}
