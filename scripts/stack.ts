// The local stack as child processes: the Temporal dev server (state under .data/temporal, Web UI on
// 8233 with the codec endpoint pointed at the API), PostgreSQL (DATABASE_URL, else an embedded real
// server under .data/pg), a worker and the API. Used by `npm start` (scripts/start.ts) and the demo.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig } from '../lib/config';
import { startEmbeddedPostgres, type EmbeddedDb } from '../dev/embedded-postgres';
import { devServerSearchAttributeArgs } from '../lib/search-attributes';
import { findTemporalCli } from '../dev/temporal-cli';
import { WORKER_NATIVE_ENV, WORKER_NODE_FLAGS } from '../workers/node-flags';

export interface Stack {
  urls: { api: string; webUi: string; temporal: string; database: string };
  stop(): Promise<void>;
}

type Log = (line: string) => void;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
  });
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, dead: () => boolean) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (dead()) throw new Error(`${what} exited before it became healthy (see its output above)`);
    if (Date.now() > end) throw new Error(`${what} did not become healthy within ${timeoutMs / 1000}s`);
    await sleep(300);
  }
}

const httpOk = (url: string) => () =>
  fetch(url, { signal: AbortSignal.timeout(2_000) })
    .then((r) => r.ok)
    .catch(() => false);

/** Starts a child with its output prefixed, and a `dead` flag for health waits. */
function child(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, log: Log) {
  const proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let exited = false;
  proc.once('exit', (code, signal) => {
    exited = true;
    log(`[${name}] exited (${signal ?? code})`);
  });
  for (const stream of [proc.stdout, proc.stderr]) {
    createInterface({ input: stream }).on('line', (line) => log(`[${name}] ${line}`));
  }
  return { proc, dead: () => exited };
}

function stopChild(proc: ChildProcess, graceMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => (clearTimeout(timer), done()));
    proc.kill('SIGTERM');
  });
}

export async function startStack(options: { env?: NodeJS.ProcessEnv; log?: Log } = {}): Promise<Stack> {
  const log = options.log ?? ((l) => console.log(l));
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  // Validates the environment up front (one clear message) and creates the dev encryption key once,
  // before the API and the worker both look for it.
  const config = loadConfig(env);
  const dataDir = resolve(config.FERRY_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  const children: Array<{ proc: ChildProcess; grace: number }> = [];
  let db: EmbeddedDb | undefined;
  const stop = async () => {
    for (const c of children.reverse()) await stopChild(c.proc, c.grace);
    await db?.stop();
  };

  try {
    const [host = 'localhost', portText = '7233'] = config.TEMPORAL_ADDRESS.split(':');
    const uiUrl = config.TEMPORAL_UI_URL;
    if (await portOpen(host, Number(portText))) {
      log(`Temporal already answers on ${config.TEMPORAL_ADDRESS}: using it`);
    } else {
      mkdirSync(resolve(dataDir, 'temporal'), { recursive: true });
      const uiPort = new URL(uiUrl).port || '8233';
      const t = child(
        'temporal',
        findTemporalCli(),
        [
          'server',
          'start-dev',
          '--ip',
          host === 'localhost' ? '127.0.0.1' : host,
          '--port',
          portText,
          '--ui-port',
          uiPort,
          '--db-filename',
          resolve(dataDir, 'temporal/temporal.db'),
          '--namespace',
          config.TEMPORAL_NAMESPACE,
          '--ui-codec-endpoint',
          `${config.FERRY_PUBLIC_URL}/codec`,
          '--log-level',
          'warn',
          ...devServerSearchAttributeArgs(),
        ],
        env,
        log,
      );
      children.push({ proc: t.proc, grace: 10_000 });
      await waitUntil('Temporal', () => portOpen(host, Number(portText)), 60_000, t.dead);
      await waitUntil('Temporal Web UI', httpOk(uiUrl), 60_000, t.dead);
    }

    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      const port = Number(env.FERRY_PG_PORT ?? 5433);
      const pgDataDir = resolve(dataDir, 'pg/data');
      db = await startEmbeddedPostgres({ dataDir: pgDataDir, port, onLog: (l) => log(`[postgres] ${l.trim()}`) });
      if (db.dataDir !== pgDataDir) {
        log(`PostgreSQL keeps its data in ${db.dataDir}: the postgres user cannot enter ${pgDataDir}`);
      }
      databaseUrl = db.url;
    }
    const appEnv = { ...env, DATABASE_URL: databaseUrl };
    const node = process.execPath;

    // The worker runs as the image runs it: the same Node flags and malloc arenas (workers/node-flags.ts).
    const w = child(
      'worker',
      node,
      [...WORKER_NODE_FLAGS, '--import', 'tsx', 'workers/main.ts'],
      { ...WORKER_NATIVE_ENV, ...appEnv },
      log,
    );
    children.push({ proc: w.proc, grace: (config.WORKER_SHUTDOWN_GRACE_SECONDS + 5) * 1000 });
    const a = child('api', node, ['--import', 'tsx', 'api/main.ts'], appEnv, log);
    children.push({ proc: a.proc, grace: 12_000 });
    const api = `http://localhost:${config.PORT}`;
    await waitUntil('Ferry API', httpOk(`${api}/readyz`), 90_000, a.dead);
    if (w.dead()) throw new Error('the worker exited at start (see its output above)');

    return {
      urls: {
        api,
        webUi: uiUrl,
        temporal: config.TEMPORAL_ADDRESS,
        database: databaseUrl.replace(/:[^:@/]+@/, ':***@'),
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
