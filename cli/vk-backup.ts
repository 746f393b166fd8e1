// `ferry vk-backup <user>`: starts the vkBackup workflow, shows its progress, writes the JSON report,
// and exits non-zero with a one-line reason when it fails. Tokens come from the environment (VK_TOKEN,
// YANDEX_DISK_TOKEN), else from `ferry login` (cli/tokens.ts), and Google's installed-app flow; they
// travel to the worker encrypted.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Client } from '@temporalio/client';
import { describeBackup, type BackupStatus } from '../lib/backup-status';
import { ConfigError, loadConfig, type Config } from '../lib/config';
import type { DestinationCredentials } from '../lib/copy-plan';
import { FailureType } from '../lib/failures';
import { formatReport } from '../lib/photo-naming';
import { createClient } from '../lib/temporal';
import type { VkBackupInput } from '../workflows/vk-backup';
import { backupInputProblems, DEFAULT_ALBUM, DEFAULT_COUNT, DEFAULT_FOLDER } from '../workflows/vk-backup-input';
import { googleDriveCredentials } from './google-auth';
import { askCancelOrLeave, formatBytes, progressBar } from './progress';
import type { TokenNetwork } from './token-store';
import { chooseToken, describeTokens, TokenUnavailable, type ChosenToken } from './tokens';

/** Exit codes (documented in docs/photo-backup.md): scripts can tell "fix your input" from "try later". */
export const EXIT = { ok: 0, failed: 1, usage: 2, auth: 3, denied: 4, partial: 5, interrupted: 130 } as const;

const exitFor = (type: string | undefined): number => {
  if (type === FailureType.InvalidInput) return EXIT.usage;
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

async function targetsFor(
  config: Config,
  opts: Options,
  say: (l: string) => void,
  tokens: Array<[TokenNetwork, ChosenToken]>,
) {
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

async function run(user: string, opts: Options): Promise<number> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const config = loadConfig();
  const vk = chooseToken('vk', { variable: 'VK_TOKEN', hint: '(a VK user access token with the photos scope)' });
  const tokens: Array<[TokenNetwork, ChosenToken]> = [['vk', vk]];
  const targets = await targetsFor(config, opts, say, tokens);
  process.stderr.write(`${describeTokens(tokens)}\n`);
  const input: VkBackupInput = {
    user,
    count: opts.count,
    album: opts.album,
    folder: opts.folder,
    targets,
    sourceToken: vk.token,
  };
  const problems = backupInputProblems(input);
  if (problems.length) throw new CliFailure(`${problems[0]!.field} ${problems[0]!.message}`, EXIT.usage);

  const client: Client = await createClient(config);
  const workflowId = `vk-backup-${user.replace(/[^\w.-]/g, '_')}-${randomUUID().slice(0, 8)}`;
  const handle = await client.workflow.start('vkBackup', {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowId,
    args: [input],
  });
  const count = opts.count === 'all' ? 'all photos' : `newest ${opts.count}`;
  say(
    `Backing up VK ${user}: album ${opts.album}, ${count} -> ${targets.map((t) => whereTo(t.cloud, opts.folder)).join(', ')}`,
  );
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
    status = await describeBackup(client, workflowId);
    if (status && !interrupted) bar?.update(status);
    if (status && status.state !== 'running') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  bar?.stop();

  if (status.state === 'failed' || !status.report) {
    const code = exitFor(status.reason?.type);
    const message = status.reason?.message ?? `backup ${status.state}`;
    // A saved token VK no longer takes (revoked, or expired early): say how to get a new one.
    const renew = code === EXIT.auth && vk.fromStore && message.startsWith('VK ') ? '; run `ferry login vk`' : '';
    throw new CliFailure(`${message}${renew}`, code);
  }
  const jsonPath = userPath(opts.json ?? `vk_backup_${user.replace(/[^\w.-]/g, '_')}.json`);
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

export function vkBackupCommand(): Command {
  return new Command('vk-backup')
    .description("back up a VK user's photos to Yandex Disk and/or Google Drive")
    .argument('<user>', 'VK user id or screen name (e.g. 1001, durov, https://vk.com/durov)')
    .option('--count <n>', 'newest N photos, or "all"', parseCount, DEFAULT_COUNT)
    .option('--album <album>', 'profile, wall, saved, all, or a numeric album id', DEFAULT_ALBUM)
    .addOption(
      new Option('--to <clouds>', 'yadisk, gdrive, or yadisk,gdrive')
        .argParser(parseTargets)
        .default(['yadisk'], 'yadisk'),
    )
    .option('--folder <folder>', 'folder at the cloud', DEFAULT_FOLDER)
    .option('--json <path>', 'where to write the JSON report (default vk_backup_<user>.json)')
    .option('--client-secrets <path>', "Google's client_secrets.json (else GOOGLE_CLIENT_ID/SECRET)")
    .option('--no-progress', 'no progress bar')
    .action(async (user: string, opts: Options) => {
      try {
        process.exitCode = await run(user, opts);
      } catch (err) {
        let code: number = EXIT.failed;
        if (err instanceof CliFailure) code = err.code;
        else if (err instanceof TokenUnavailable) code = err.reason === 'expired' ? EXIT.auth : EXIT.usage;
        else if (err instanceof ConfigError) code = EXIT.usage;
        const message = err instanceof ConfigError ? err.problems.join('; ') : (err as Error).message.split('\n')[0];
        process.stderr.write(`ferry: ${message}\n`);
        process.exitCode = code;
      }
      // The Temporal connection would keep the process alive.
      process.exit(process.exitCode);
    });
}
