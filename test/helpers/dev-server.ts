// The Temporal CLI dev server for the tests and the benchmarks. The SDK gives it a fixed 5 s to start
// listening, which a busy 2-core machine can miss (seen once while the suite started): a start that
// fails is tried again, on a fresh port, before the run gives up.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { freePort } from '../../lib/ports';
import type { FERRY_SEARCH_ATTRIBUTES } from '../../lib/search-attributes';
import { findTemporalCli } from '../../lib/temporal-cli';

const STARTS = 3;

export async function startDevServer(
  options: { searchAttributes?: typeof FERRY_SEARCH_ATTRIBUTES } = {},
): Promise<{ env: TestWorkflowEnvironment; address: string }> {
  for (let start = 1; ; start++) {
    const port = await freePort();
    try {
      const env = await TestWorkflowEnvironment.createLocal({
        server: {
          executable: { type: 'existing-path', path: findTemporalCli() },
          ip: '127.0.0.1',
          port,
          ui: false,
          searchAttributes: options.searchAttributes,
          extraArgs: ['--log-level', 'error'],
        },
      });
      return { env, address: `127.0.0.1:${port}` };
    } catch (err) {
      if (start >= STARTS) throw err;
      console.warn(`Temporal dev server did not start (try ${start} of ${STARTS}): ${(err as Error).message}`);
    }
  }
}
