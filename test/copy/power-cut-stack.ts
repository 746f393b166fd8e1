// A whole Ferry stack of the test's own that can be cut like a power failure: a Temporal dev server on a
// SQLite file, PostgreSQL on a data directory and a worker process, all SIGKILLed at the same moment and
// started again on the same files and ports. Separate from the global setup's server and database,
// which the other test files keep using. The clouds and the source stay up: they are the outside world.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { inject } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedDb } from '../../dev/embedded-postgres';
import { migrate } from '../../lib/migrate';
import { freePort } from '../../dev/ports';
import { testConfig } from '../helpers/config';
import { spawnDevServer } from '../../dev/temporal-dev-server';
import { testClient } from '../helpers/temporal';

export interface PowerCutStack {
  /** The stack's PostgreSQL (its port may change at a restart, when another process took it). */
  readonly databaseUrl: string;
  /** A client of the stack's Temporal (a fresh one after a restart). */
  client(): Promise<Client>;
  /** SIGKILL to the worker, Temporal and PostgreSQL at once; resolves when all are gone. */
  cut(): Promise<void>;
  /** Everything up again on the same data; resolves when the worker polls. */
  restart(): Promise<void>;
  /** Worker output so far (for failure messages). */
  workerOutput(): string;
  stop(): Promise<void>;
}

async function startWorker(env: NodeJS.ProcessEnv, log: (s: string) => void): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/copy/worker-entry.ts'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (d: Buffer) => log(d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => (log(d.toString()), d.toString().includes('worker ready') && resolve()));
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
  return child;
}

/** PostgreSQL on `dataDir`, on `port` if it is still free, else on another one. */
async function startPostgres(dataDir: string, port: number): Promise<EmbeddedDb> {
  for (let tries = 1; ; tries++) {
    try {
      return await startEmbeddedPostgres({ dataDir, port, database: 'ferry_power_cut' });
    } catch (err) {
      // The package rejects with nothing when the server exits at start (a port taken meanwhile).
      if (tries >= 3) throw err ?? new Error('PostgreSQL exited at start');
      port = await freePort();
    }
  }
}

/** `workerEnv`: the worker's configuration on top of the stack's addresses (fakes' URLs, limits, task queue). */
export async function startPowerCutStack(workerEnv: Record<string, string>): Promise<PowerCutStack> {
  const temporalDir = mkdtempSync(join(tmpdir(), 'ferry-power-cut-temporal-'));
  // /tmp is world-writable, so the postgres user (as root) can own the data dir's parent there.
  const pgBase = mkdtempSync(join(tmpdir(), 'ferry-power-cut-pg-'));
  const pgDir = join(pgBase, 'data');
  const removeDirs = () => {
    rmSync(temporalDir, { recursive: true, force: true });
    rmSync(pgBase, { recursive: true, force: true });
  };
  const temporal = await spawnDevServer({ dbFile: join(temporalDir, 'temporal.db') }).catch((err: unknown) => {
    removeDirs();
    throw err;
  });
  let db = await startPostgres(pgDir, await freePort()).catch(async (err: unknown) => {
    await temporal.kill();
    removeDirs();
    throw err;
  });
  await migrate(db.url);
  let output = '';
  const log = (s: string) => (output = (output + s).slice(-20_000));
  const env = (): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    FERRY_DATA_DIR: '.data/test',
    TEMPORAL_ADDRESS: temporal.address,
    DATABASE_URL: db.url,
    FERRY_ENCRYPTION_KEY: inject('encryptionKey'),
    COPY_TEST_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    // The stand-ins are on loopback over http: the worker's own policy must allow it (a workflow input cannot).
    FERRY_ALLOW_PRIVATE_NETWORK: '1',
    GALLERY_FILE_HOSTS: '127.0.0.1',
    ...workerEnv,
  });
  let worker = await startWorker(env(), log);

  const killWorker = async () => {
    if (worker.exitCode !== null || worker.signalCode !== null) return;
    const exited = once(worker, 'exit');
    worker.kill('SIGKILL');
    await exited;
  };
  return {
    get databaseUrl() {
      return db.url;
    },
    client: () => testClient(testConfig({ TEMPORAL_ADDRESS: temporal.address })),
    // Each kill sends its signal before its first await: the three die in the same instant.
    cut: async () => void (await Promise.all([killWorker(), temporal.kill(), db.kill()])),
    async restart() {
      await temporal.restart();
      db = await startPostgres(pgDir, Number(new URL(db.url).port));
      worker = await startWorker(env(), log);
    },
    workerOutput: () => output,
    async stop() {
      await killWorker();
      await temporal.kill();
      await db.stop();
      removeDirs();
    },
  };
}
