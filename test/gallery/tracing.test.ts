// Traces of a real gallery archive (real API over HTTP, real Temporal, real copy engine, fake clouds),
// caught by the OpenTelemetry SDK's in-memory exporter: one trace runs from `POST /cloud_archive`
// through every workflow to each file copied, and a workflow started without a trace makes no spans
// and adds no headers to its history.
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanKind } from '@opentelemetry/api';
import { TRACE_HEADER as TEMPORAL_TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import { beforeAll, describe, expect, it } from 'vitest';
import { authorizeUpdate, workflowIdOf } from '../../lib/jobs/cloud-archive';
import { installTracing } from '../../lib/tracing';
import { TRACE_HEADER } from '../../workflows/tracing';
import { testClient, withWorker } from '../helpers/temporal';
import {
  archive,
  body,
  callback,
  consent,
  photos,
  start,
  startStack,
  withStackWorker,
  SUCCESS,
  waitForState,
  type Stack,
} from './harness';

// This file runs in its own process: the global tracer provider is ours to install, once.
const exporter = new InMemorySpanExporter();
const tracing = installTracing({ serviceName: 'ferry-test', spanProcessor: new SimpleSpanProcessor(exporter) });

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({}, { tracing });
});

const worker = <T>(fn: () => Promise<T>) => withStackWorker(stack, fn, tracing);

/** The finished spans as a tree: children of a span by name, a span's parent. */
function tree(spans: ReadableSpan[]) {
  const idOf = (s: ReadableSpan) => s.spanContext().spanId;
  const children = (parent: ReadableSpan, name: string) =>
    spans.filter((s) => s.parentSpanId === idOf(parent) && s.name === name);
  return {
    children,
    /** The one child named `name` (fails the test naming the parent otherwise). */
    child(parent: ReadableSpan, name: string): ReadableSpan {
      const found = children(parent, name);
      expect(
        found.map((s) => s.name),
        `${name} under ${parent.name}`,
      ).toEqual([name]);
      return found[0]!;
    },
    /** Every span below `root`, at any depth. */
    descendants(root: ReadableSpan): ReadableSpan[] {
      const below = spans.filter((s) => s.parentSpanId === idOf(root));
      return below.flatMap((s) => [s, ...this.descendants(s)]);
    },
  };
}

async function spansUntil(done: (spans: ReadableSpan[]) => boolean, ms = 15_000): Promise<ReadableSpan[]> {
  const end = Date.now() + ms;
  for (;;) {
    const spans = exporter.getFinishedSpans();
    if (done(spans) || Date.now() > end) return spans;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('traces', () => {
  it('one trace runs from POST /cloud_archive through the workflows to every file copied', async () => {
    exporter.reset();
    const entries = photos(stack, ['Album A/one.jpg', 'Album A/two.jpg', 'Album B/three.jpg']);
    const a = archive();
    stack.gallery.setListing(a.path, entries);
    const { id, spans } = await worker(async () => {
      const { id, redirectTo } = await start(stack, body({ archive_url: a.url, gallery_name: 'Traced' }));
      expect(await callback(await consent(redirectTo))).toMatchObject({ status: 302, location: SUCCESS });
      await waitForState(stack, id, ['done'], 90_000);
      // The workflow's own span ends when it returns, just after its status says done.
      return { id, spans: await spansUntil((all) => all.some((s) => s.name === 'RunWorkflow:cloudArchive')) };
    });
    const t = tree(spans);

    const [post] = spans.filter((s) => s.name === 'POST /cloud_archive');
    expect(post, 'the request span').toBeDefined();
    expect(post!.parentSpanId).toBeUndefined();
    expect(post!.kind).toBe(SpanKind.SERVER);
    expect(post!.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/cloud_archive',
      'http.response.status_code': 200,
    });

    const run = t.child(t.child(post!, 'StartWorkflow:cloudArchive'), 'RunWorkflow:cloudArchive');
    t.child(t.child(run, 'StartActivity:prepareArchivePlan'), 'RunActivity:prepareArchivePlan');
    t.child(t.child(run, 'StartActivity:notifyGalleryDone'), 'RunActivity:notifyGalleryDone');
    const copy = t.child(t.child(run, 'StartChildWorkflow:copyToCloud'), 'RunWorkflow:copyToCloud');
    const page = t.child(t.child(copy, 'StartChildWorkflow:copyPlanPage'), 'RunWorkflow:copyPlanPage');
    t.child(t.child(page, 'StartActivity:readPlanPage'), 'RunActivity:readPlanPage');
    t.child(t.child(page, 'StartActivity:findPresent'), 'RunActivity:findPresent');
    // Three small photos: one batch, a CopyItem span for each file under the batch's activity.
    const batch = t.child(t.child(page, 'StartActivity:copyBatch'), 'RunActivity:copyBatch');
    const items = t.children(batch, 'CopyItem');
    expect(items).toHaveLength(3);
    for (const item of items) {
      expect(item.attributes).toMatchObject({ 'ferry.destination': 'google_drive', 'ferry.status': 'copied' });
    }
    expect(items.map((s) => s.attributes['ferry.bytes']).sort()).toEqual(entries.map((e) => e.filesize).sort());

    // One trace id from the request to the last file; workflow spans name their run, and only that.
    const all = [post!, ...t.descendants(post!)];
    expect(new Set(all.map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(run.attributes).toEqual({
      workflowId: workflowIdOf(id),
      runId: expect.any(String),
      workflowType: 'cloudArchive',
      taskQueue: stack.taskQueue,
      namespace: 'default',
      attempt: 1,
    });

    // The consent callback is a request of its own: its update and the code exchange are its trace.
    const [cb] = spans.filter((s) => s.name === 'GET /oauth/:provider/callback');
    expect(cb, 'the callback span').toBeDefined();
    expect(cb!.spanContext().traceId).not.toBe(post!.spanContext().traceId);
    const update = t.child(cb!, `StartWorkflowUpdate:${authorizeUpdate.name}`);
    const handled = t.child(update, `HandleUpdate:${authorizeUpdate.name}`);
    t.child(t.child(handled, 'StartActivity:exchangeAuthorizationCode'), 'RunActivity:exchangeAuthorizationCode');
  });

  it('a workflow started without a trace makes no spans and carries no trace header, on a traced worker', async () => {
    expect(TRACE_HEADER).toBe(TEMPORAL_TRACE_HEADER);
    const plain = await testClient(stack.config);
    const traced = await testClient(stack.config, { tracing });
    const run = (client: typeof plain, workflowId: string) =>
      client.workflow.execute('secretRoundTrip', { taskQueue: stack.taskQueue, workflowId, args: [{ token: 't' }] });
    const headersOfScheduled = async (workflowId: string) => {
      const history = await plain.workflow.getHandle(workflowId).fetchHistory();
      return (history.events ?? [])
        .filter((e) => e.activityTaskScheduledEventAttributes)
        .map((e) => Object.keys(e.activityTaskScheduledEventAttributes!.header?.fields ?? {}));
    };
    const id = (kind: string) => `trace-probe-${kind}-${Math.random().toString(16).slice(2)}`;
    const [plainId, tracedId] = [id('plain'), id('traced')];
    exporter.reset();
    await withWorker(
      {
        activities: { useSecret: async (s: { token: string }) => ({ echoed: s.token }) },
        taskQueue: stack.taskQueue,
        config: stack.config,
        tracing,
      },
      async () => {
        await run(plain, plainId);
        await run(traced, tracedId);
        await spansUntil((all) => all.some((s) => s.name === 'RunWorkflow:secretRoundTrip'));
      },
    );
    const spans = exporter.getFinishedSpans();
    const ofRun = (workflowId: string) =>
      spans.filter((s) => s.attributes.workflowId === workflowId || s.attributes.temporalWorkflowId === workflowId);
    expect(ofRun(plainId)).toEqual([]);
    expect(await headersOfScheduled(plainId)).toEqual([[]]);
    // The same workflow started by a traced client: spans, and the header on its activity.
    expect(
      ofRun(tracedId)
        .map((s) => s.name)
        .sort(),
    ).toEqual([
      'RunActivity:useSecret',
      'RunWorkflow:secretRoundTrip',
      'StartActivity:useSecret',
      'StartWorkflow:secretRoundTrip',
    ]);
    expect(await headersOfScheduled(tracedId)).toEqual([[TRACE_HEADER]]);
  });
});
