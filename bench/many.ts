// bench:many — 2,000 files of 200 KB through Ferry's copy workflow into the Drive fake on a real
// Temporal dev server, against the naive baseline of the seeds' scripts (download each file whole,
// then upload it, one at a time) in the same run. Both sides see the same 50 ms per-request latency
// on every fake (api-notes "Benchmarking"). The baseline runs on a sample and its rate is used.
// Self-contained; the last line is one JSON object: filesPerSec, speedup, maxHistoryEvents.
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { PlanStore } from '../activities/copy/plan-store';
import type { CopyPlanItem } from '../lib/copy-plan';
import { copyToCloud } from '../workflows';
import { startBenchStack } from './copy-stack';

const FILES = Number(process.env.BENCH_MANY_FILES ?? 2000);
const FILE_BYTES = 200 * 1000;
const LATENCY_MS = Number(process.env.BENCH_MANY_LATENCY_MS ?? 50);
const CONCURRENCY = Number(process.env.BENCH_MANY_CONCURRENCY ?? 32);
const BASELINE_SAMPLE = Math.min(FILES, Number(process.env.BENCH_MANY_BASELINE_SAMPLE ?? 60));
const round = (n: number) => Math.round(n * 10) / 10;

async function main() {
  const stack = await startBenchStack({ name: 'bench:many', latencyMs: LATENCY_MS });
  const { say, source, drive, googleOAuth, client, pool } = stack;
  try {
    const items: CopyPlanItem[] = Array.from({ length: FILES }, (_, i) => {
      const sums = source.addFile(`/many/${i}.jpg`, randomBytes(FILE_BYTES));
      return {
        key: `many-${i}`,
        relPath: `Album ${i % 10}/${i}.jpg`,
        sourceUrl: source.urlOf(`/many/${i}.jpg`),
        ...sums,
      };
    });
    const tokens = googleOAuth.issueTokens();
    say(`${FILES} files of ${FILE_BYTES / 1000} KB, ${LATENCY_MS} ms latency per request on every fake`);

    // Baseline: what the seeds' scripts do — GET the whole file, then one multipart POST, in turn.
    const t0 = performance.now();
    for (const item of items.slice(0, BASELINE_SAMPLE)) {
      const bytes = Buffer.from(await (await fetch(item.sourceUrl)).arrayBuffer());
      const boundary = `b${randomUUID()}`;
      const body = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\ncontent-type: application/json\r\n\r\n${JSON.stringify({ name: `${item.key}.jpg` })}\r\n--${boundary}\r\ncontent-type: image/jpeg\r\n\r\n`,
        ),
        bytes,
        Buffer.from(`\r\n--${boundary}--`),
      ]);
      const res = await fetch(`${drive.url}/upload/drive/v3/files?uploadType=multipart`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tokens.accessToken}`,
          'content-type': `multipart/related; boundary=${boundary}`,
        },
        body,
      });
      if (!res.ok) throw new Error(`baseline upload: ${res.status}`);
    }
    const baselineRate = BASELINE_SAMPLE / ((performance.now() - t0) / 1000);
    say(`baseline (naive, sequential): ${round(baselineRate)} files/s on ${BASELINE_SAMPLE} files`);

    const plan = await new PlanStore(pool).save(`many-${randomUUID()}`, items);
    const workflowId = `bench-many-${randomUUID()}`;
    const t1 = performance.now();
    const summary = await client.workflow.execute(copyToCloud, {
      taskQueue: 'bench-copy',
      workflowId,
      args: [
        {
          plan,
          destination: {
            cloud: 'google_drive',
            rootFolder: 'Many',
            credentials: { cloud: 'google_drive', refreshToken: tokens.refreshToken },
          },
          options: { allowPrivateNetwork: true, concurrency: CONCURRENCY },
        },
      ],
    });
    const ferryRate = FILES / ((performance.now() - t1) / 1000);
    if (summary.copied !== FILES)
      throw new Error(`Ferry copied ${summary.copied}/${FILES}: ${JSON.stringify(summary.failures.slice(0, 3))}`);
    say(`Ferry (concurrency ${CONCURRENCY}, verified): ${round(ferryRate)} files/s`);

    let maxHistoryEvents = 0;
    let workflows = 0;
    for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH "${workflowId}"` })) {
      const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      maxHistoryEvents = Math.max(maxHistoryEvents, history.events?.length ?? 0);
      workflows += 1;
    }
    say(`${workflows} workflows (parent + pages), longest history ${maxHistoryEvents} events`);
    say(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
    console.log(
      JSON.stringify({
        files: FILES,
        latencyMs: LATENCY_MS,
        concurrency: CONCURRENCY,
        filesPerSec: round(ferryRate),
        baselineFilesPerSec: round(baselineRate),
        speedup: round(ferryRate / baselineRate),
        maxHistoryEvents,
      }),
    );
  } finally {
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
