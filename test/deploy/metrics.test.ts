// The Prometheus endpoints over real HTTP: the API's request metrics on their own port (never on the
// public one), and the worker's health endpoint serving Ferry's counters together with the Temporal
// SDK's runtime metrics of a real worker, each checked line by line against the exposition format
// (test/helpers/prometheus.ts).
import type { AddressInfo } from 'node:net';
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../api/app';
import { createApiMetrics, startApiMetricsServer } from '../../api/metrics';
import { createLogger } from '../../lib/logger';
import { etlRows, filesCopied } from '../../lib/metrics';
import { freePort } from '../../dev/ports';
import { createLazyClient } from '../../lib/temporal';
import { startWorkerHealthServer, sdkTelemetryOptions } from '../../workers/metrics';
import { createFerryWorker } from '../../workers/worker';
import { testConfig } from '../helpers/config';
import { invalidLines, isSampleValue, samples } from '../helpers/prometheus';
import { uniqueTaskQueue } from '../helpers/temporal';

const logger = createLogger({ level: 'silent' });
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function expectPrometheusText(text: string) {
  expect(samples(text).length).toBeGreaterThan(0);
  expect(invalidLines(text)).toEqual([]);
}

describe('the exposition format check', () => {
  it('reads sample values as Prometheus does (Go ParseFloat): NaN and Inf in any case, no hex, no _', () => {
    const valid = '0 3 -1.5 1e-7 5.11e-7 .5 1. +2 NaN Nan nan +Inf -Inf Inf -Infinity'.split(' ');
    for (const v of valid) expect(isSampleValue(v), v).toBe(true);
    for (const v of ['', 'abc', '1_000', '0x1p3', '+NaN', '--1', 'Infinite', '1e', '1 2']) {
      expect(isSampleValue(v), v).toBe(false);
    }
    expect(invalidLines('a_b{x="1",y="q\\"uote"} 1 1700000000000\n# TYPE a_b counter\n# any comment\n')).toEqual([]);
    expect(invalidLines('a-b 1\nc{x=1} 2\n# TYPE c countr\nd 1 2 3')).toEqual([
      'a-b 1',
      'c{x=1} 2',
      '# TYPE c countr',
      'd 1 2 3',
    ]);
  });

  it("accepts prom-client's own scrape while the event-loop histogram has no samples (its mean prints Nan)", async () => {
    const register = new Registry();
    collectDefaultMetrics({ register });
    const text = await register.metrics(); // at once: no event-loop delay measured yet
    expect(text).toMatch(/^nodejs_eventloop_lag_mean_seconds Nan$/m);
    expectPrometheusText(text);
  });
});

describe('API /metrics', () => {
  it('counts requests by route template and status, in Prometheus text, on API_METRICS_PORT only', async () => {
    const config = testConfig();
    const temporal = createLazyClient(config);
    const metrics = createApiMetrics();
    const app = createApp({ config, temporal, logger, metrics });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const scrape = await startApiMetricsServer({ port: 0, host: '127.0.0.1', metrics, logger });
    cleanups.push(
      () => new Promise((r) => server.close(r)),
      () => scrape.close(),
      () => temporal.connection.close(),
    );
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const metricsBase = `http://127.0.0.1:${scrape.port}`;

    for (let i = 0; i < 3; i++) expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/no-such-route-${Date.now()}`)).status).toBe(404);
    // Not on the API's own port (which the Ingress publishes), even for a caller on this machine.
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    expect((await fetch(`${metricsBase}/healthz`)).status).toBe(404);

    const res = await fetch(`${metricsBase}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expectPrometheusText(text);
    expect(text).toContain('ferry_api_http_requests_total{method="GET",route="/healthz",status="200"} 3');
    // Unknown paths share one label value: raw URLs must not become series.
    expect(text).toContain('ferry_api_http_requests_total{method="GET",route="unmatched",status="404"} 2');
    expect(text).toMatch(/ferry_api_http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/healthz"/);
    expect(text).toContain('ferry_api_process_resident_memory_bytes');
  });
});

describe('worker health endpoint', () => {
  it('reports readiness from the worker state and serves Ferry and Temporal SDK metrics', async () => {
    const sdkPort = await freePort();
    // This test file runs in its own process: the Runtime is ours to configure (as workers/main.ts does).
    Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: sdkTelemetryOptions(sdkPort) });
    const config = testConfig();
    const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    cleanups.push(() => connection.close());
    const worker = await createFerryWorker({
      config,
      connection,
      activities: {},
      taskQueue: uniqueTaskQueue('metrics'),
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    const health = await startWorkerHealthServer({
      port: 0,
      host: '127.0.0.1',
      state: () => worker.getState(),
      sdkMetricsPort: sdkPort,
      logger,
    });
    cleanups.push(() => health.close());
    const base = `http://127.0.0.1:${health.port}`;

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const notYet = await fetch(`${base}/readyz`);
    expect(notYet.status).toBe(503);
    expect(await notYet.json()).toEqual({ ready: false, state: 'INITIALIZED' });

    filesCopied.inc({ job: 'test', destination: 'gdrive' }, 2);
    etlRows.inc({ table: 'test_rows' }, 7);

    const text = await worker.runUntil(async () => {
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ ready: true, state: 'RUNNING' });
      // The SDK's pollers report within a moment of starting.
      for (let i = 0; i < 40; i++) {
        const body = await (await fetch(`${base}/metrics`)).text();
        if (/^temporal_num_pollers\{/m.test(body)) return body;
        await new Promise((r) => setTimeout(r, 250));
      }
      return (await fetch(`${base}/metrics`)).text();
    });

    expectPrometheusText(text);
    expect(text).toContain('ferry_files_copied_total{job="test",destination="gdrive"} 2');
    expect(text).toContain('ferry_etl_rows_total{table="test_rows"} 7');
    expect(text).toContain('ferry_worker_process_resident_memory_bytes');
    expect(text).toMatch(/^temporal_num_pollers\{/m);
    expect(text).not.toContain('temporal sdk metrics unavailable');

    // After shutdown the worker is out of rotation but alive enough to answer.
    const after = await fetch(`${base}/readyz`);
    expect(after.status).toBe(503);
    expect(((await after.json()) as { state: string }).state).toBe('STOPPED');
  });

  it('says so in the scrape when the SDK exporter does not answer', async () => {
    const health = await startWorkerHealthServer({
      port: 0,
      host: '127.0.0.1',
      state: () => 'RUNNING',
      sdkMetricsPort: await freePort(),
      logger,
    });
    cleanups.push(() => health.close());
    const res = await fetch(`http://127.0.0.1:${health.port}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('# temporal sdk metrics unavailable');
    expectPrometheusText(text);
    expect((await fetch(`http://127.0.0.1:${health.port}/nope`)).status).toBe(404);
  });
});
