// The benchmarks' worker process: one job's activities (argv[2]: copy | etl | gallery; only its modules are
// loaded) and/or the workflows from a bundle the benchmark built beforehand (so bundling does not count in
// this process's peak RSS), as WORKER_ROLE says, configured from the environment as workers/main.ts is.
// The harness compiles it like `npm run build` compiles the real worker and runs it with the image's Node
// flags. Stops on SIGTERM.
import { NativeConnection } from '@temporalio/worker';
import type { ActivityDeps } from '../activities/deps';
import { loadConfig } from '../lib/config';
import { createPool } from '../lib/db';
import { createLogger } from '../lib/logger';
import { installRuntime } from '../workers/runtime';
import { createFerryWorker } from '../workers/worker';

const factories: Record<string, () => Promise<(deps: ActivityDeps) => object>> = {
  copy: async () => (await import('../activities/copy')).createCopyActivities,
  etl: async () => (await import('../activities/etl/activities')).createEtlActivities,
  // The gallery archive job: its own activities and the copy engine it runs as a child.
  gallery: async () => {
    const [{ createCopyActivities }, { createGalleryActivities }] = await Promise.all([
      import('../activities/copy'),
      import('../activities/gallery'),
    ]);
    return (deps: ActivityDeps) => ({ ...createCopyActivities(deps), ...createGalleryActivities(deps) });
  },
};
const job = process.argv[2] ?? '';
if (!factories[job]) throw new Error(`bench/worker.ts: unknown activities "${job}" (copy | etl | gallery)`);
const config = loadConfig();
const createActivities = await factories[job]();

const logger = createLogger({ level: 'warn', name: `bench-${job}-${config.WORKER_ROLE}-worker` });
installRuntime(logger);
const pool = createPool(config.DATABASE_URL!);
const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
const worker = await createFerryWorker({
  config,
  connection,
  activities: createActivities({ config, logger, pool }),
  workflowBundle: { codePath: process.env.BENCH_WORKFLOW_BUNDLE! },
});
process.send?.('ready');
if (process.env.BENCH_ETL_MEMORY_TRACE) {
  // Where the memory goes during a run: V8 heap vs buffers vs the rest (native, code).
  const mb = (n: number) => Math.round(n / 1048576);
  setInterval(() => {
    const m = process.memoryUsage();
    console.error(
      `[${job}-${config.WORKER_ROLE}-worker] rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)} MB`,
    );
  }, 1000).unref();
}
await worker.run();
await pool.end();
await connection.close();
