// The copy benchmarks' worker process: the copy activities and workflows (from a bundle the benchmark
// built beforehand, so bundling does not count in this process's peak RSS), configured from the
// environment as workers/main.ts is. Stops on SIGTERM.
import { NativeConnection } from '@temporalio/worker';
import { createCopyActivities } from '../activities/copy';
import { loadConfig } from '../lib/config';
import { createPool } from '../lib/db';
import { createLogger } from '../lib/logger';
import { installRuntime } from '../workers/runtime';
import { createFerryWorker } from '../workers/worker';

const config = loadConfig();
const logger = createLogger({ level: 'warn', name: 'bench-copy-worker' });
installRuntime(logger);
const pool = createPool(config.DATABASE_URL!);
const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
const worker = await createFerryWorker({
  config,
  connection,
  activities: createCopyActivities({ config, logger, pool }),
  workflowBundle: { codePath: process.env.BENCH_WORKFLOW_BUNDLE! },
});
process.send?.('ready');
await worker.run();
await pool.end();
await connection.close();
