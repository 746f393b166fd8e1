// The Grafana dashboard against what Ferry really serves: two small gallery archives run through the
// real API, Temporal and worker (one copies, with a file gone at the source; one fails, its listing gone),
// then the worker's /metrics (Ferry's counters + the Temporal SDK's) and the API's /metrics are scraped
// over HTTP, and every metric, label matcher, grouping label and legend label of every panel's PromQL
// must be in those scrapes.
import { readFileSync } from 'node:fs';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { workflowIdOf } from '../../lib/jobs/cloud-archive';
import { freePort } from '../../dev/ports';
import { TRANSFER_WORKFLOW_TYPES } from '../../api/transfers-metric';
import { SCHEDULE_TO_START_BUCKETS_MS, sdkTelemetryOptions, startWorkerHealthServer } from '../../workers/metrics';
import { archive, body, callback, consent, onCleanup, photos, start, startStack, type Stack } from '../gallery/harness';
import { invalidLines, samples, type Sample } from '../helpers/prometheus';
import { withWorker } from '../helpers/temporal';

const DASHBOARD = 'k8s/components/grafana-dashboard/ferry-dashboard.json';

/** Labels Prometheus adds to every series from the target (scrape config), not served by Ferry. */
const TARGET_LABELS = new Set(['namespace', 'instance', 'job', 'pod', 'container', 'service', 'endpoint']);
/** PromQL words an identifier may be that are not metric names. */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless']);

interface Query {
  panel: string;
  expr: string;
  legend: string;
}

/** Every panel's queries, and the template variables' `label_values(metric, label)` as `metric`. */
function dashboardQueries(): Query[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: Array<{ title: string; targets?: Array<{ expr: string; legendFormat?: string }> }>;
    templating: { list: Array<{ name: string; type: string; query?: { query: string } }> };
  };
  const panels = dashboard.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr, legend: t.legendFormat ?? '' })),
  );
  const variables = dashboard.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => {
      const [, metric, label] = /^label_values\((\w+),\s*(\w+)\)$/.exec(v.query?.query ?? '') ?? [];
      expect(metric, `variable ${v.name}`).toBeDefined();
      return { panel: `variable ${v.name}`, expr: metric!, legend: `{{${label}}}` };
    });
  return [...panels, ...variables];
}

/** The selectors of a PromQL expression (metric name and the labels it matches on) and its grouping labels. */
function parsePromQL(expr: string): { selectors: Array<{ metric: string; labels: string[] }>; grouping: string[] } {
  const grouping: string[] = [];
  const plain = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values (and the $variables in them)
    .replace(/\[[^\]]*\]/g, '') // range selectors
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, list: string) => {
      grouping.push(
        ...list
          .split(',')
          .map((l) => l.trim())
          .filter(Boolean),
      );
      return ' ';
    });
  const selectors: Array<{ metric: string; labels: string[] }> = [];
  for (const m of plain.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\(|\{([^}]*)\})?/g)) {
    const [, name, suffix, matchers] = m;
    if (suffix === '(' || KEYWORDS.has(name!)) continue; // a function or an aggregation
    const labels = [...(matchers ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]!);
    selectors.push({ metric: name!, labels });
  }
  return { selectors, grouping };
}

let stack: Stack;
let workerMetrics: string;
let apiMetrics: string;

beforeAll(async () => {
  // This file runs in its own process: the SDK's runtime is ours to configure, as workers/main.ts does.
  const sdkPort = await freePort();
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: sdkTelemetryOptions(sdkPort) });
  stack = await startStack();
  const health = await startWorkerHealthServer({
    port: 0,
    host: '127.0.0.1',
    state: () => 'RUNNING',
    sdkMetricsPort: sdkPort,
    logger: stack.logger,
  });
  onCleanup(() => health.close());

  const activities = createActivities({ config: stack.config, logger: stack.logger, pool: stack.pool });
  await withWorker({ activities, taskQueue: stack.taskQueue, config: stack.config }, async () => {
    // One archive that copies, one of its two photos gone from the file host.
    const copied = archive();
    const entries = photos(stack, ['Dash/kept.jpg', 'Dash/gone.jpg']);
    stack.files.remove(new URL(entries[1]!.url).pathname);
    stack.gallery.setListing(copied.path, entries);
    // One whose listing is gone: the request fails.
    const failed = archive();
    stack.gallery.setListingStatus(failed.path, 404);
    for (const a of [copied, failed]) {
      const { id, redirectTo } = await start(stack, body({ archive_url: a.url }));
      expect((await callback(await consent(redirectTo))).status).toBe(302);
      await stack.temporal.workflow
        .getHandle(workflowIdOf(id))
        .result()
        .catch(() => undefined);
    }
    workerMetrics = await (await fetch(`http://127.0.0.1:${health.port}/metrics`)).text();
  });
  // Visibility may trail the closes by a moment; the API caches its counts for 10 s.
  for (let i = 0; ; i++) {
    apiMetrics = await (await fetch(stack.apiMetrics)).text();
    if (/^ferry_transfers\{workflow_type="cloudArchive",status="failed"\} 1$/m.test(apiMetrics) || i >= 30) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
}, 240_000);

describe('the Grafana dashboard', () => {
  it('queries only metrics and labels the worker and the API serve', () => {
    expect(invalidLines(workerMetrics)).toEqual([]);
    expect(invalidLines(apiMetrics)).toEqual([]);
    const served = [...samples(workerMetrics), ...samples(apiMetrics)];
    const byName = new Map<string, Sample[]>();
    for (const s of served) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
    const hasLabel = (metric: string, label: string) => (byName.get(metric) ?? []).some((s) => label in s.labels);

    const problems = new Set<string>();
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(10);
    for (const q of queries) {
      const { selectors, grouping } = parsePromQL(q.expr);
      if (!selectors.length) problems.add(`${q.panel}: no metric in ${q.expr}`);
      for (const { metric, labels } of selectors) {
        if (!byName.has(metric)) problems.add(`${q.panel}: ${metric} is not served`);
        for (const l of labels) {
          if (!TARGET_LABELS.has(l) && !hasLabel(metric, l)) problems.add(`${q.panel}: ${metric} has no label ${l}`);
        }
      }
      const legend = [...q.legend.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!);
      for (const l of [...grouping, ...legend]) {
        if (TARGET_LABELS.has(l)) continue;
        if (!selectors.some((s) => hasLabel(s.metric, l))) problems.add(`${q.panel}: no series of it has label ${l}`);
      }
    }
    expect([...problems]).toEqual([]);
  });

  it('has the panels operators need: transfers, throughput per cloud, failures by type, schedule-to-start', () => {
    const metrics = new Set(dashboardQueries().flatMap((q) => parsePromQL(q.expr).selectors.map((s) => s.metric)));
    for (const m of [
      'ferry_transfers',
      'temporal_workflow_completed_total',
      'temporal_workflow_failed_total',
      'ferry_files_copied_total',
      'ferry_bytes_copied_total',
      'ferry_activity_failures_total',
      'ferry_failures_total',
      'temporal_activity_schedule_to_start_latency_bucket',
    ]) {
      expect(metrics, m).toContain(m);
    }
  });

  it('the metrics it shows count what happened', () => {
    const transfers = (type: string, status: string) =>
      new RegExp(`^ferry_transfers\\{workflow_type="${type}",status="${status}"\\} (\\d+)$`, 'm').exec(apiMetrics)?.[1];
    expect(transfers('cloudArchive', 'completed')).toBe('1');
    expect(transfers('cloudArchive', 'failed')).toBe('1');
    expect(transfers('cloudArchive', 'running')).toBe('0');
    expect(transfers('copyToCloud', 'completed')).toBe('1');
    for (const t of TRANSFER_WORKFLOW_TYPES) expect(transfers(t, 'running'), t).toBeDefined();

    expect(workerMetrics).toMatch(
      /^ferry_activity_failures_total\{activity_type="prepareArchivePlan",reason="SourceNotFound"\} 1$/m,
    );
    expect(workerMetrics).toMatch(/^ferry_failures_total\{job="copy",reason="SourceNotFound"\} [1-9]/m);
    expect(workerMetrics).toMatch(/^ferry_files_copied_total\{destination="google_drive"\} 1$/m);
    expect(workerMetrics).toMatch(/^ferry_files_copied_total\{destination="yadisk"\} 0$/m);
    expect(workerMetrics).toMatch(/^temporal_workflow_failed_total\{.*workflow_type="cloudArchive"/m);
    // Schedule-to-start buckets fine enough to see a queue that waits tens of milliseconds.
    const bounds = samples(workerMetrics)
      .filter((s) => s.name === 'temporal_activity_schedule_to_start_latency_bucket')
      .map((s) => s.labels.le);
    for (const b of SCHEDULE_TO_START_BUCKETS_MS) expect(bounds, `le=${b}`).toContain(String(b));
  });
});
