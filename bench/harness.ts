// What every benchmark starts the same way: a real PostgreSQL with Ferry's schema, a Temporal dev
// server (with Ferry's search attributes), the fakes in their own process, and the workers in theirs
// (so the peak RSS of each is measured alone). Each start registers its stop in `stops`, which the
// benchmark runs in reverse when it ends.
import { fork, type ChildProcess, type StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { startEmbeddedPostgres } from '../dev/embedded-postgres';
import { migrate } from '../lib/migrate';
import { freePort } from '../dev/ports';
import { FERRY_SEARCH_ATTRIBUTES } from '../lib/search-attributes';
import { buildEntry, buildWorkflowBundle } from '../scripts/build';
import { startDevServer } from '../dev/temporal-dev-server';
import type { FakesMethods, FakesOptions, FakesReady } from './fakes-process';
import { forkHelper, type BenchProcess } from './rpc';
import { WORKER_NATIVE_ENV, WORKER_NODE_FLAGS } from '../workers/node-flags';

export type Stops = Array<() => Promise<unknown>>;

/** Which job's activities a bench worker registers (bench/worker.ts). */
export type BenchActivities = 'copy' | 'etl' | 'gallery';

export async function startBackbone(
  work: string,
  stops: Stops,
): Promise<{ databaseUrl: string; temporalAddress: string }> {
  const db = await startEmbeddedPostgres({ dataDir: join(work, 'pg'), port: await freePort(), database: 'bench' });
  stops.push(() => db.stop());
  await migrate(db.url);
  const { env: temporal, address: temporalAddress } = await startDevServer({
    searchAttributes: FERRY_SEARCH_ATTRIBUTES,
  });
  stops.push(() => temporal.teardown());
  return { databaseUrl: db.url, temporalAddress };
}

type Fakes = BenchProcess<FakesMethods, FakesReady>;

/** The clouds, their OAuth servers, the file host and the gallery platform, in a process of their own. */
export const startFakes = (options: FakesOptions, stops: Stops): Promise<Fakes> =>
  forkHelper<FakesMethods, FakesReady>('bench/fakes-process.ts', { args: [JSON.stringify(options)], stops });

/** Compiles bench/worker.ts as `npm run build` compiles the real worker (dist/, next to its node_modules). */
async function buildBenchWorker(): Promise<string> {
  const out = resolve('dist/bench-worker.mjs');
  await buildEntry('bench/worker.ts', out);
  return out;
}

/** Builds the workflow bundle once for a benchmark, outside the measured worker. */
export async function buildBenchWorkflowBundle(work: string, workflowsPath?: string): Promise<string> {
  const out = join(work, 'workflows.js');
  await buildWorkflowBundle(out, workflowsPath);
  return out;
}

/**
 * The workers as Kubernetes runs them (k8s/base): one process for the workflows (WORKER_ROLE=workflows)
 * and one for the activities, so the process that moves the bytes is measured alone (`worker`).
 * BENCH_WORKER_ROLES=all runs both in one process, as docker-compose's single worker does.
 */
export async function forkBenchWorkers(options: {
  activities: BenchActivities;
  env: NodeJS.ProcessEnv;
  stdio?: StdioOptions;
  stops: Stops;
}): Promise<{ worker: ChildProcess; workflowWorker?: ChildProcess }> {
  if (process.env.BENCH_WORKER_ROLES === 'all') {
    return { worker: await forkBenchWorker({ ...options, env: { ...options.env, WORKER_ROLE: 'all' } }) };
  }
  const workflowWorker = await forkBenchWorker({ ...options, env: { ...options.env, WORKER_ROLE: 'workflows' } });
  const worker = await forkBenchWorker({ ...options, env: { ...options.env, WORKER_ROLE: 'activities' } });
  return { worker, workflowWorker };
}

/** Forks the compiled bench worker with one job's activities and waits until it polls. */
async function forkBenchWorker(options: {
  activities: BenchActivities;
  env: NodeJS.ProcessEnv;
  stdio?: StdioOptions;
  stops: Stops;
}): Promise<ChildProcess> {
  // The worker's Node flags and native env as the image runs it; BENCH_WORKER_NODE_FLAGS replaces the flags for experiments.
  const flags = process.env.BENCH_WORKER_NODE_FLAGS?.split(' ').filter(Boolean) ?? WORKER_NODE_FLAGS;
  const worker = fork(await buildBenchWorker(), [options.activities], {
    env: { ...WORKER_NATIVE_ENV, ...options.env },
    execArgv: flags,
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

/**
 * Runs a benchmark's main and prints its figures as the last line, one JSON object, after every process
 * it started has stopped (and printed whatever it prints); exits 1 on failure.
 */
export function runBenchmark(main: () => Promise<object>): void {
  main().then(
    (figures) => {
      console.log(JSON.stringify(figures));
      process.exit(0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
