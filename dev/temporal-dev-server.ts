// The Temporal CLI dev server for the tests and the benchmarks. The SDK gives it a fixed 5 s to start
// listening, which a busy 2-core machine can miss (seen once while the suite started): a start that
// fails is tried again, on a fresh port, before the run gives up.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { freePort } from './ports';
import { devServerSearchAttributeArgs, type FERRY_SEARCH_ATTRIBUTES } from '../lib/search-attributes';
import { findTemporalCli } from './temporal-cli';

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

/**
 * A dev server as a child process of the test's own, on a SQLite file: it can be SIGKILLed like a
 * power cut and started again on the same file and port, history intact (the crash tests). The global
 * setup's server is never killed; this one is separate.
 */
export interface KillableDevServer {
  /** host:port; a restart keeps it unless another process took the port meanwhile. */
  readonly address: string;
  /** SIGKILL: no shutdown, whatever was in flight is cut. */
  kill(): Promise<void>;
  /** Starts it again on the same database file (and port, when it is still free). */
  restart(): Promise<void>;
}

/** Starts the CLI on `port`; resolves once it answers, rejects when it exits first (a port taken meanwhile). */
async function startCli(dbFile: string, port: number): Promise<ChildProcess> {
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port)];
  args.push('--db-filename', dbFile, '--log-level', 'error', ...devServerSearchAttributeArgs());
  const proc = spawn(findTemporalCli(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = () => proc.exitCode !== null || proc.signalCode !== null;
  // Ready when the frontend answers a real RPC (the port opens a little before the namespace exists).
  const end = Date.now() + 60_000;
  for (;;) {
    const connection = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: 1000 }).catch(
      () => undefined,
    );
    const ok = await connection?.workflowService
      .describeNamespace({ namespace: 'default' })
      .then(() => true)
      .catch(() => false);
    await connection?.close();
    // Answered by our process, not by whoever else may hold the port.
    if (ok && !exited()) return proc;
    if (exited()) throw new Error(`temporal dev server exited (${proc.exitCode ?? proc.signalCode}): ${stderr}`);
    if (Date.now() > end) {
      proc.kill('SIGKILL');
      throw new Error(`temporal dev server did not answer within 60 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function spawnDevServer(options: { dbFile: string }): Promise<KillableDevServer> {
  let port = await freePort();
  let child: ChildProcess | undefined;
  // A busy machine's other processes may take a free port before the CLI binds it: then another one.
  const start = async (samePort: boolean) => {
    for (let tries = 1; ; tries++) {
      if (!samePort || tries > 1) port = await freePort();
      try {
        child = await startCli(options.dbFile, port);
        return;
      } catch (err) {
        if (tries >= STARTS) throw err;
      }
    }
  };
  await start(false);
  return {
    get address() {
      return `127.0.0.1:${port}`;
    },
    async kill() {
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = once(proc, 'exit');
      proc.kill('SIGKILL');
      await exited;
    },
    restart: () => start(true),
  };
}
