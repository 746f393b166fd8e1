// The benchmarks' worker process: one job's activities (argv[2]: copy | etl) and the workflows from a
// bundle the benchmark built beforehand (so bundling does not count in this process's peak RSS),
// configured from the environment as workers/main.ts is. Stops on SIGTERM.
import { NativeConnection } from '@temporalio/worker';
import { createCopyActivities } from '../activities/copy';
import type { ActivityDeps } from '../activities/deps';
import { createEtlActivities } from '../activities/etl/activities';
import { loadConfig } from '../lib/config';
import { createPool } from '../lib/db';
import { createLogger } from '../lib/logger';
import { installRuntime } from '../workers/runtime';
import { createFerryWorker } from '../workers/worker';

const factories: Record<string, (deps: ActivityDeps) => object> = {
  copy: createCopyActivities,
  etl: createEtlActivities,
};
const job = process.argv[2] ?? '';
const createActivities = factories[job];
if (!createActivities) throw new Error(`bench/worker.ts: unknown activities "${job}" (copy | etl)`);

const config = loadConfig();
const logger = createLogger({ level: 'warn', name: `bench-${job}-worker` });
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
      `[${job}-worker] rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)} MB`,
    );
  }, 1000).unref();
}
await worker.run();
await pool.end();
await connection.close();
