// A worker process for the crash test: the copy activities and the test workflow bundle on one task
// queue, configured only through the environment (as a real worker is). The test SIGKILLs it.
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { createCopyActivities } from '../../activities/copy';
import { loadConfig } from '../../lib/config';
import { createPool } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { createFerryWorker } from '../../workers/worker';

const config = loadConfig();
const taskQueue = process.env.COPY_TEST_TASK_QUEUE!;
const bundle = process.env.COPY_TEST_WORKFLOW_BUNDLE!;
Runtime.install({ logger: new DefaultLogger('WARN') });
const pool = createPool(config.DATABASE_URL!);
const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
const logger = createLogger({ level: config.LOG_LEVEL, name: 'copy-test-worker' });
const worker = await createFerryWorker({
  config,
  connection,
  taskQueue,
  workflowBundle: { codePath: bundle },
  activities: createCopyActivities({ config, logger, pool }),
});
console.log('worker ready');
await worker.run();
await pool.end();
await connection.close();
