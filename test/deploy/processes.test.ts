// The two entry points as a container runs them (compiled by `npm run build`: `node dist/worker.mjs` /
// `dist/api.mjs`, with the image's NODE_OPTIONS), against the run's Temporal and PostgreSQL: the worker's health endpoint follows its state and serves
// the SDK's metrics, and both processes stop cleanly (exit 0) on SIGTERM, as Kubernetes sends it.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WORKER_NODE_FLAGS } from '../../bench/harness';
import { buildDist } from '../../scripts/build';
import { freePort } from '../../lib/ports';
import { uniqueTaskQueue } from '../helpers/temporal';

const children: ChildProcess[] = [];
beforeAll(() => buildDist(), 120_000);
afterAll(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

function start(entry: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [entry], {
    env: {
      PATH: process.env.PATH,
      NODE_OPTIONS: WORKER_NODE_FLAGS.join(' '),
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      DATABASE_URL: inject('databaseUrl'),
      FERRY_ENCRYPTION_KEY: inject('encryptionKey'),
      FERRY_DATA_DIR: '.data/test',
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('process'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exited, output: () => output };
}

async function waitFor(url: string, ok: (res: Response) => boolean, ms: number, died: () => string | undefined) {
  const end = Date.now() + ms;
  for (;;) {
    const res = await fetch(url).catch(() => undefined);
    if (res && ok(res)) return res;
    const why = died();
    if (why) throw new Error(why);
    if (Date.now() > end) throw new Error(`timed out waiting for ${url}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('entry points', () => {
  it('the worker becomes ready, serves SDK metrics, and drains and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const worker = start('dist/worker.mjs', {
      WORKER_HEALTH_PORT: String(port),
      WORKER_SDK_METRICS_PORT: String(await freePort()),
    });
    const died = () => (worker.child.exitCode !== null ? `worker exited:\n${worker.output()}` : undefined);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/healthz`, (r) => r.ok, 30_000, died);
    await waitFor(`${base}/readyz`, (r) => r.ok, 90_000, died);
    let metrics = '';
    for (let i = 0; i < 40 && !/^temporal_num_pollers\{/m.test(metrics); i++) {
      metrics = await (await fetch(`${base}/metrics`)).text();
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(metrics).toContain('# TYPE ferry_files_copied_total counter');
    expect(metrics).toMatch(/^temporal_num_pollers\{/m);

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.output()).toContain('"state":"DRAINING"');
    expect(worker.output()).toContain('Ferry worker stopped');
  });

  it('a workflows-role worker needs no database (its pod may not reach one) and still polls', async () => {
    const port = await freePort();
    const worker = start('dist/worker.mjs', {
      WORKER_ROLE: 'workflows',
      DATABASE_URL: `postgres://ferry:x@127.0.0.1:${await freePort()}/nowhere`,
      WORKER_HEALTH_PORT: String(port),
      WORKER_SDK_METRICS_PORT: '0',
    });
    const died = () => (worker.child.exitCode !== null ? `worker exited:\n${worker.output()}` : undefined);
    await waitFor(`http://127.0.0.1:${port}/readyz`, (r) => r.ok, 90_000, died);
    expect(worker.output()).toContain('"role":"workflows"');
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });

  it('the API answers, locks the job routes, serves metrics on their own port, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    const api = start('dist/api.mjs', {
      PORT: String(port),
      API_METRICS_PORT: String(metricsPort),
      FERRY_API_TOKEN: 'old-process-token,new-process-token',
      FERRY_CODEC_TOKEN: 'k'.repeat(32),
    });
    const died = () => (api.child.exitCode !== null ? `api exited:\n${api.output()}` : undefined);
    await waitFor(`http://127.0.0.1:${port}/readyz`, (r) => r.ok, 60_000, died);
    const etlRun = (headers: Record<string, string> = {}) =>
      fetch(`http://127.0.0.1:${port}/etl-runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ start: 'not-a-day' }),
      });
    expect((await etlRun()).status).toBe(401); // loopback is not trusted in production
    expect((await etlRun({ authorization: 'Bearer new-process-token' })).status).toBe(400);
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(await metrics.text()).toContain(
      'ferry_api_http_requests_total{method="POST",route="unmatched",status="401"} 1',
    );
    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    expect(api.output()).toContain('shutting down: finishing in-flight requests');
  });

  it('the API refuses to start in production without its tokens, or with `*` codec origins, naming them', async () => {
    const withoutTokens = start('dist/api.mjs', { PORT: String(await freePort()) });
    expect(await withoutTokens.exited).toBe(1);
    expect(withoutTokens.output()).toMatch(/FERRY_API_TOKEN: required in production/);
    expect(withoutTokens.output()).toMatch(/FERRY_CODEC_TOKEN: required in production, at least 32 bytes/);
    const anyOrigin = start('dist/api.mjs', {
      PORT: String(await freePort()),
      FERRY_API_TOKEN: 'a-token',
      FERRY_CODEC_TOKEN: 'k'.repeat(32),
      FERRY_CODEC_CORS_ORIGINS: '*',
    });
    expect(await anyOrigin.exited).toBe(1);
    expect(anyOrigin.output()).toMatch(/FERRY_CODEC_CORS_ORIGINS: "\*" is not allowed/);
  });
});
