// The OK backup's test world: the OK, Yandex Disk, Google OAuth and Drive fakes on loopback, a config
// pointing at them (OK_* variables only, as a user sets them), and a worker with every Ferry activity
// on a task queue of the test's own. The API, the CLI and the Yandex folder helpers are the VK ones.
import { createActivities } from '../../activities';
import { createPool } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { startDriveFake } from '../../fakes/google-drive';
import { startGoogleOAuthFake } from '../../fakes/google-oauth';
import { startOkFake, type OkFakeOptions } from '../../fakes/ok';
import { startYandexDiskFake } from '../../fakes/yandex-disk';
import { testConfig } from '../helpers/config';
import { uniqueTaskQueue, withWorker } from '../helpers/temporal';
import { runCli as runFerry, type CliRun } from '../vk/harness';

export { startApi, yandexFolder, YANDEX_TOKEN } from '../vk/harness';

/** Anna's 5 newest personal photos: a two-way like tie (34) and a three-way one (7, two on one day). */
export const ANNA_REPORT = [
  { file_name: '7_2024-03-05.jpg', size: 'pic_max' },
  { file_name: '7_2024-03-01_880004.jpg', size: 'pic1024x768' },
  { file_name: '7_2024-03-01_880003.jpg', size: 'pic_max' },
  { file_name: '34_2024-02-15.png', size: 'pic_max' },
  { file_name: '34_2024-01-31.jpg', size: 'pic_max' },
];

export async function startOkWorld(opts: { fake?: OkFakeOptions } = {}) {
  const ok = await startOkFake({ photoPageCap: 97, albumPageCap: 2, ...opts.fake });
  const yandex = await startYandexDiskFake({ operationDelayMs: 20 });
  const oauth = await startGoogleOAuthFake();
  const drive = await startDriveFake({ oauth });
  const taskQueue = uniqueTaskQueue('ok');
  const env = {
    TEMPORAL_TASK_QUEUE: taskQueue,
    WORKER_SHUTDOWN_GRACE_SECONDS: '2',
    OK_API_URL: ok.apiUrl,
    OK_APPLICATION_KEY: ok.applicationKey,
    OK_APPLICATION_SECRET_KEY: ok.applicationSecretKey,
    OK_FILE_HOSTS: '127.0.0.1',
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
  const logger = createLogger({ level: 'silent' });
  const activities = createActivities({ config, logger, pool });
  return {
    ok,
    yandex,
    oauth,
    drive,
    env,
    config,
    pool,
    taskQueue,
    /** Runs `fn` while a worker serves this world's task queue (with `override`n variables: a misconfigured worker). */
    withWorker: <T>(fn: () => Promise<T>, override?: Record<string, string>) => {
      if (!override) return withWorker({ activities, taskQueue, config }, fn);
      const other = testConfig({ ...env, ...override });
      return withWorker(
        { activities: createActivities({ config: other, logger, pool }), taskQueue, config: other },
        fn,
      );
    },
    driveTarget: () => ({ cloud: 'google_drive' as const, refreshToken: oauth.issueTokens().refreshToken }),
    async close() {
      await pool.end();
      await Promise.all([ok.close(), yandex.close(), oauth.close(), drive.close()]);
    },
  };
}

export type OkWorld = Awaited<ReturnType<typeof startOkWorld>>;

/** `ferry <args>` as a user runs it, with OK_ACCESS_TOKEN set as the user would. */
export function runCli(world: OkWorld, args: string[], options: Parameters<typeof runFerry>[2] = {}): Promise<CliRun> {
  return runFerry(world, args, { ...options, env: { OK_ACCESS_TOKEN: world.ok.validToken, ...options.env } });
}
