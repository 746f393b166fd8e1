// What both copy benchmarks start and stop: embedded PostgreSQL, a Temporal dev server (the CLI from
// lib/temporal-cli.ts), the cloud and source fakes, and the worker processes (harness.ts): the one that
// runs the activities is measured alone.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { ferryDataConverter } from '../lib/codec';
import { createPool, type Pool } from '../lib/db';
import { startDriveFake } from '../test/fakes/google-drive';
import { startGoogleOAuthFake } from '../test/fakes/google-oauth';
import { startSourceServer } from '../test/fakes/source-server';
import { startYandexDiskFake } from '../test/fakes/yandex-disk';
import { startYandexOAuthFake } from '../test/fakes/yandex-oauth';
import { buildBenchWorkflowBundle, forkBenchWorkers, startBackbone } from './harness';

/** Current RSS of a process (VmRSS), in MB. */
export const rssMb = (pid: number) =>
  Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024);

/** Peak RSS of a process (VmHWM), in MB. */
export const peakRssMb = (pid: number) =>
  Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024);

/** Resets a process's VmHWM to its current RSS, so that the next peak read is the run's, not start-up's. */
export const resetPeakRss = (pid: number) => writeFileSync(`/proc/${pid}/clear_refs`, '5');

export async function startBenchStack(opts: { name: string; latencyMs?: number; env?: Record<string, string> }) {
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

    const googleOAuth = await startGoogleOAuthFake();
    const yandexOAuth = await startYandexOAuthFake();
    const latencyMs = opts.latencyMs;
    const drive = await startDriveFake({ oauth: googleOAuth, storeContent: false, latencyMs });
    const yandex = await startYandexDiskFake({
      oauth: yandexOAuth,
      storeContent: false,
      latencyMs,
      operationDelayMs: 50,
    });
    const source = await startSourceServer({ latencyMs });
    stops.push(() =>
      Promise.all([googleOAuth.close(), yandexOAuth.close(), drive.close(), yandex.close(), source.close()]),
    );

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
      GOOGLE_CLIENT_ID: googleOAuth.clientId,
      GOOGLE_CLIENT_SECRET: googleOAuth.clientSecret,
      GOOGLE_TOKEN_URL: googleOAuth.tokenUrl,
      GOOGLE_API_URL: drive.url,
      YANDEX_OAUTH_URL: yandexOAuth.url,
      YANDEX_DISK_API_URL: yandex.url,
      WORKER_MAX_CONCURRENT_ACTIVITIES: '64',
      // The source fake listens on loopback: the worker's own config allows it (a workflow input cannot).
      FERRY_ALLOW_PRIVATE_NETWORK: '1',
      GALLERY_FILE_HOSTS: '127.0.0.1',
      ...opts.env,
    };
    const { worker, workflowWorker } = await forkBenchWorkers({
      activities: 'copy',
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
      `stack ready (PostgreSQL, Temporal dev server, fakes, ${workflowWorker ? 'workflow and activity workers' : 'worker'})`,
    );
    return { say, pool, client, worker, workflowWorker, drive, yandex, source, googleOAuth, yandexOAuth, env, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
