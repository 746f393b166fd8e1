// The worker's operations endpoint on WORKER_HEALTH_PORT: /healthz (liveness), /readyz (the worker polls
// its task queue) and /metrics (Ferry's counters, Node's process metrics and the Temporal SDK's metrics in
// one Prometheus scrape). The SDK's Rust core serves its metrics on its own loopback port
// (WORKER_SDK_METRICS_PORT); we append them here so a pod has a single port to scrape.
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../lib/logger';
import { ferryMetricsText, ferryRegistry, PROMETHEUS_CONTENT_TYPE } from '../lib/metrics';
import { listenOn, type ListeningServer } from '../lib/listen';

/** Worker.getState(), or STARTING before the worker exists (migrations, connecting to Temporal). */
export type WorkerStateSource = () => string;

/** The worker's health and metrics port. */
export type WorkerHealthServer = ListeningServer;

const SDK_SCRAPE_TIMEOUT_MS = 2_000;
// Liveness fails only when the worker can no longer recover by itself; Kubernetes then restarts the pod.
const DEAD_STATES = new Set(['FAILED']);

let defaultMetricsOn = false;

/**
 * Bounds (ms) of the schedule-to-start histograms. The SDK's defaults (100 ms, 500 ms, 1 s, 5 s, ...)
 * put a healthy queue (a few ms) and one that keeps tasks waiting 90 ms in the same bucket.
 */
export const SCHEDULE_TO_START_BUCKETS_MS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000];

/** Runtime telemetry options that make the SDK serve Prometheus metrics on loopback (0 turns them off). */
export function sdkTelemetryOptions(sdkMetricsPort: number) {
  if (sdkMetricsPort === 0) return undefined;
  return {
    metrics: {
      prometheus: {
        bindAddress: `127.0.0.1:${sdkMetricsPort}`,
        countersTotalSuffix: true,
        histogramBucketOverrides: {
          activity_schedule_to_start_latency: SCHEDULE_TO_START_BUCKETS_MS,
          workflow_task_schedule_to_start_latency: SCHEDULE_TO_START_BUCKETS_MS,
        },
      },
    },
  };
}

async function sdkMetricsText(port: number | undefined): Promise<string> {
  if (!port) return '';
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(SDK_SCRAPE_TIMEOUT_MS) });
    if (!res.ok) return `# temporal sdk metrics unavailable: HTTP ${res.status}\n`;
    return await res.text();
  } catch (err) {
    return `# temporal sdk metrics unavailable: ${(err as Error).message}\n`;
  }
}

export async function startWorkerHealthServer(options: {
  port: number;
  state: WorkerStateSource;
  logger: Logger;
  /** Where the SDK's Prometheus exporter listens on loopback; omitted when SDK metrics are off. */
  sdkMetricsPort?: number;
  host?: string;
}): Promise<WorkerHealthServer> {
  if (!defaultMetricsOn) {
    collectDefaultMetrics({ register: ferryRegistry, prefix: 'ferry_worker_' });
    defaultMetricsOn = true;
  }
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const state = options.state();
    const json = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: { code: 'method_not_allowed' } });
    if (path === '/healthz') return json(DEAD_STATES.has(state) ? 503 : 200, { ok: !DEAD_STATES.has(state), state });
    // Ready only while polling: STARTING, DRAINING and STOPPING take the pod out of rotation.
    if (path === '/readyz') return json(state === 'RUNNING' ? 200 : 503, { ready: state === 'RUNNING', state });
    if (path === '/metrics') {
      Promise.all([ferryMetricsText(), sdkMetricsText(options.sdkMetricsPort)])
        .then(([ferry, sdk]) => {
          res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(ferry + (sdk ? `\n${sdk}` : ''));
        })
        .catch((err: Error) => {
          options.logger.error({ err }, 'metrics scrape failed');
          json(500, { error: { code: 'metrics_failed', message: err.message } });
        });
      return;
    }
    json(404, { error: { code: 'not_found', message: `no route ${path}` } });
  });
  const listening = await listenOn(server, options.port, options.host);
  options.logger.info({ port: listening.port }, 'worker health and metrics endpoint listening');
  return listening;
}
