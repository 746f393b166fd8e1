// What the copy benchmarks (bench:large, bench:many, bench:gallery) start and stop: embedded
// PostgreSQL, a Temporal dev server (the CLI from dev/temporal-cli.ts), the fakes in their own process
// (bench/fakes-process.ts) and the worker processes (harness.ts): the one that runs the activities is
// measured alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { ferryDataConverter } from '../lib/codec';
import { createPool, type Pool } from '../lib/db';
import type { FakesOptions } from './fakes-process';
import { buildBenchWorkflowBundle, forkBenchWorkers, startBackbone, startFakes, type BenchActivities } from './harness';

export { peakRssMb, resetPeakRss, rssMb } from './proc';

export async function startBenchStack(opts: {
  name: string;
  fakes?: FakesOptions;
  activities?: BenchActivities;
  env?: Record<string, string>;
}) {
  const say = (msg: string) => console.log(`[${opts.name}] ${msg}`);
  const work = mkdtempSync(join(tmpdir(), `ferry-${opts.name.replace(/\W/g, '-')}-`));
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  };
  try {
    const backbone = await startBackbone(work, stops);
    const pool: Pool = createPool(backbone.databaseUrl);
    stops.push(() => pool.end());
    const fakes = await startFakes(opts.fakes ?? {}, stops);
    const f = fakes.ready;
    const bundlePath = await buildBenchWorkflowBundle(work);

    const encryptionKey = randomBytes(32).toString('base64');
    const env: Record<string, string> = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      FERRY_DATA_DIR: work,
      TEMPORAL_ADDRESS: backbone.temporalAddress,
      TEMPORAL_TASK_QUEUE: 'bench-copy',
      DATABASE_URL: backbone.databaseUrl,
      FERRY_ENCRYPTION_KEY: encryptionKey,
      GOOGLE_CLIENT_ID: f.googleClientId,
      GOOGLE_CLIENT_SECRET: f.googleClientSecret,
      GOOGLE_AUTH_URL: f.googleAuthUrl,
      GOOGLE_TOKEN_URL: f.googleTokenUrl,
      // A transfer revokes its grant before the done call: at the unreachable real endpoint its retries
      // would add half a minute to every run.
      GOOGLE_REVOKE_URL: f.googleRevokeUrl,
      GOOGLE_API_URL: f.driveUrl,
      YANDEX_CLIENT_ID: f.yandexClientId,
      YANDEX_CLIENT_SECRET: f.yandexClientSecret,
      YANDEX_OAUTH_URL: f.yandexOAuthUrl,
      YANDEX_DISK_API_URL: f.yandexUrl,
      GALLERY_API_URL: f.galleryUrl,
      WORKER_MAX_CONCURRENT_ACTIVITIES: '64',
      // The source fake listens on loopback: the worker's own config allows it (a workflow input cannot).
      FERRY_ALLOW_PRIVATE_NETWORK: '1',
      GALLERY_FILE_HOSTS: '127.0.0.1',
      ...opts.env,
    };
    const { worker, workflowWorker } = await forkBenchWorkers({
      activities: opts.activities ?? 'copy',
      env: { ...process.env, ...env, BENCH_WORKFLOW_BUNDLE: bundlePath },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      stops,
    });
    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
    stops.push(() => connection.close());
    const client = new Client({
      connection,
      dataConverter: ferryDataConverter([Buffer.from(encryptionKey, 'base64')]),
    });
    say(
      `stack ready (PostgreSQL, Temporal dev server, fakes process, ${workflowWorker ? 'workflow and activity workers' : 'worker'})`,
    );
    return { say, pool, client, worker, workflowWorker, fakes, env, work, stops, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export type BenchStack = Awaited<ReturnType<typeof startBenchStack>>;
