// The VK backup's test world: the VK, Yandex Disk, Google OAuth and Drive fakes on loopback, a config
// pointing at them, a worker with every Ferry activity on a task queue of the test's own, and a way to
// run the `ferry` CLI as a user would (a child process).
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inject } from 'vitest';
import { createActivities } from '../../activities';
import { createApp } from '../../api/app';
import { createPool } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { startDriveFake } from '../../fakes/google-drive';
import { startGoogleOAuthFake } from '../../fakes/google-oauth';
import { startVkFake } from '../../fakes/vk';
import { startYandexDiskFake } from '../../fakes/yandex-disk';
import { testConfig } from '../helpers/config';
import { testClient, uniqueTaskQueue, withWorker } from '../helpers/temporal';

export const YANDEX_TOKEN = 'y0_fake-yandex-disk-token';

/** Ivan's 5 newest profile photos: a two-way like tie (34) and a three-way one (7, two on one day). */
export const IVAN_REPORT = [
  { file_name: '7_2024-03-05.jpg', size: 'base' },
  { file_name: '7_2024-03-01_9104.jpg', size: 'w' },
  { file_name: '7_2024-03-01_9103.jpg', size: 'w' },
  { file_name: '34_2024-02-15.png', size: 'w' },
  { file_name: '34_2024-01-31.jpg', size: 'w' },
];

export async function startWorld() {
  const vk = await startVkFake();
  const yandex = await startYandexDiskFake({ operationDelayMs: 20 });
  const oauth = await startGoogleOAuthFake();
  const drive = await startDriveFake({ oauth });
  const taskQueue = uniqueTaskQueue('vk');
  const env = {
    TEMPORAL_TASK_QUEUE: taskQueue,
    // Tests stop their worker with copies still in flight (cancel, Ctrl-C): no need to wait 30 s for them.
    WORKER_SHUTDOWN_GRACE_SECONDS: '2',
    VK_API_URL: vk.apiUrl,
    VK_FILE_HOSTS: '127.0.0.1',
    FERRY_ALLOW_PRIVATE_NETWORK: '1',
    YANDEX_DISK_API_URL: yandex.url,
    GOOGLE_API_URL: drive.url,
    GOOGLE_TOKEN_URL: oauth.tokenUrl,
    GOOGLE_AUTH_URL: oauth.authUrl,
    GOOGLE_CLIENT_ID: oauth.clientId,
    GOOGLE_CLIENT_SECRET: oauth.clientSecret,
  };
  const config = testConfig(env);
  const pool = createPool(config.DATABASE_URL!);
  const activities = createActivities({ config, logger: createLogger({ level: 'silent' }), pool });
  return {
    vk,
    yandex,
    oauth,
    drive,
    env,
    config,
    pool,
    taskQueue,
    /** Runs `fn` while a worker serves this world's task queue. */
    withWorker: <T>(fn: () => Promise<T>) => withWorker({ activities, taskQueue, config }, fn),
    driveTarget: () => ({ cloud: 'google_drive' as const, refreshToken: oauth.issueTokens().refreshToken }),
    async close() {
      await pool.end();
      await Promise.all([vk.close(), yandex.close(), oauth.close(), drive.close()]);
    },
  };
}

export type World = Awaited<ReturnType<typeof startWorld>>;

/** Ferry's API over real HTTP for this world; returns its base URL and a close function. */
export async function startApi(world: Pick<World, 'config' | 'pool'>): Promise<{ url: string; close: () => void }> {
  const temporal = await testClient(world.config);
  const logger = createLogger({ level: 'silent' });
  const server = createApp({ config: world.config, temporal, pool: world.pool, logger }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

/** The files of a Yandex Disk folder: name -> bytes. */
export function yandexFolder(world: Pick<World, 'yandex'>, folder: string): Map<string, Buffer | undefined> {
  const prefix = `disk:/${folder}/`;
  return new Map(
    world.yandex
      .nodes()
      .filter((n) => n.type === 'file' && n.path.startsWith(prefix) && !n.path.slice(prefix.length).includes('/'))
      .map((n) => [n.name, n.content]),
  );
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `ferry <args>` as a user runs it (bin/ferry.sh -> cli/main.ts on Node 24), against this world (or the OK one). */
export function runCli(
  world: { env: Record<string, string>; vk?: Pick<World['vk'], 'validToken'> },
  args: string[],
  options: {
    env?: Record<string, string>;
    cwd?: string;
    /** Written to the command's stdin, which then ends (what a user pastes). */
    input?: string;
    onOutput?: (text: string, child: { kill(signal: NodeJS.Signals): boolean; stdin: Writable }) => void;
  } = {},
): Promise<CliRun> {
  const cwd = options.cwd ?? mkdtempSync(join(tmpdir(), 'ferry-cli-'));
  const child = spawn('bash', [resolve('bin/ferry.sh'), ...args], {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: cwd,
      XDG_CONFIG_HOME: join(cwd, 'config'),
      FERRY_QUIET: '1',
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      FERRY_DATA_DIR: join(cwd, 'data'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      FERRY_ENCRYPTION_KEY: inject('encryptionKey'),
      ...(world.vk && { VK_TOKEN: world.vk.validToken }),
      YANDEX_DISK_TOKEN: YANDEX_TOKEN,
      ...world.env,
      ...options.env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (options.input !== undefined) child.stdin.end(options.input);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    options.onOutput?.(stdout + stderr, child);
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    options.onOutput?.(stdout + stderr, child);
  });
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })));
}
