// What every benchmark starts the same way: a real PostgreSQL with Ferry's schema, a Temporal dev
// server, and a worker in its own process (so its peak RSS is measured alone). Each start registers
// its stop in `stops`, which the benchmark runs in reverse when it ends.
import { fork, type ChildProcess, type StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { startEmbeddedPostgres } from '../lib/embedded-postgres';
import { migrate } from '../lib/migrate';
import { freePort } from '../lib/ports';
import { findTemporalCli } from '../lib/temporal-cli';

export type Stops = Array<() => Promise<unknown>>;

export async function startBackbone(
  work: string,
  stops: Stops,
): Promise<{ databaseUrl: string; temporalAddress: string }> {
  const db = await startEmbeddedPostgres({ dataDir: join(work, 'pg'), port: await freePort(), database: 'bench' });
  stops.push(() => db.stop());
  await migrate(db.url);
  const port = await freePort();
  const temporal = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: findTemporalCli() },
      ip: '127.0.0.1',
      port,
      ui: false,
      extraArgs: ['--log-level', 'error'],
    },
  });
  stops.push(() => temporal.teardown());
  return { databaseUrl: db.url, temporalAddress: `127.0.0.1:${port}` };
}

/** Forks bench/worker.ts with one job's activities and waits until it polls. */
export async function forkBenchWorker(options: {
  activities: 'copy' | 'etl';
  env: NodeJS.ProcessEnv;
  nodeFlags?: string[];
  stdio?: StdioOptions;
  stops: Stops;
}): Promise<ChildProcess> {
  const worker = fork(resolve('bench/worker.ts'), [options.activities], {
    env: options.env,
    execArgv: ['--import', 'tsx', ...(options.nodeFlags ?? [])],
    stdio: options.stdio ?? 'inherit',
  });
  options.stops.push(async () => {
    if (worker.exitCode !== null) return;
    worker.kill('SIGTERM');
    await once(worker, 'exit');
  });
  await new Promise<void>((ok, fail) => {
    worker.once('message', () => ok());
    worker.once('exit', (code) => fail(new Error(`bench worker exited (${code})`)));
  });
  return worker;
}
