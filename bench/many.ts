// bench:many — many small files (200 KB, 10 albums) through Ferry's copy workflow into the Drive and
// Yandex fakes at 500, 2,000 and 8,000 files, every fake answering each request after 50 ms (the
// real APIs' latency), against two baselines in the same run (bench/plain-copier.ts, own process):
//   - the naive sequential copier of the seeds' scripts (Drive; a sample, its rate used);
//   - a plain concurrent copier at Ferry's concurrency, the fewest requests, no durability: Ferry ÷
//     that is what Temporal and PostgreSQL bookkeeping cost.
// Requests per file are counted by the fakes themselves (every API request, by kind).
// Knobs: BENCH_MANY_SIZES (500,2000,8000), BENCH_MANY_FILES (the headline size, 2000),
// BENCH_MANY_CLOUDS (drive,yandex), BENCH_MANY_LATENCY_MS (50), BENCH_MANY_CONCURRENCY (32),
// BENCH_MANY_FILE_BYTES (200000), BENCH_MANY_BASELINE_SAMPLE (60).
// The last line is one JSON object: filesPerSec, speedup, concurrentRatio, driveRequestsPerFile, …
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { PlanStore } from '../activities/copy/plan-store';
import type { CopyPlanItem, DestinationSpec } from '../lib/jobs/copy-to-cloud';
import { copyToCloud } from '../workflows';
import { writeCharts } from './chart';
import { startBenchStack } from './copy-stack';
import type { HostedFile } from './fakes-process';
import { bytesKnob, intKnob, intListKnob, round1, round2 } from './knobs';
import type { PlainMethods } from './plain-copier';
import { cpuSeconds } from './proc';
import { forkHelper } from './rpc';
import { runBenchmark } from './harness';

const SIZES = intListKnob('BENCH_MANY_SIZES', [500, 2000, 8000]);
const HEADLINE = intKnob('BENCH_MANY_FILES', SIZES.includes(2000) ? 2000 : SIZES.at(-1)!);
const CLOUDS = (process.env.BENCH_MANY_CLOUDS ?? 'drive,yandex').split(',').map((c) => c.trim()) as Cloud[];
const LATENCY_MS = intKnob('BENCH_MANY_LATENCY_MS', 50);
const CONCURRENCY = intKnob('BENCH_MANY_CONCURRENCY', 32);
const FILE_BYTES = bytesKnob('BENCH_MANY_FILE_BYTES', 200_000);
const BASELINE_SAMPLE = Math.min(HEADLINE, intKnob('BENCH_MANY_BASELINE_SAMPLE', 60));
const ALBUMS = 10;
const NAMES: Record<Cloud, string> = { drive: 'Drive', yandex: 'Yandex' };

type Cloud = 'drive' | 'yandex';
interface Run {
  cloud: Cloud;
  files: number;
  ferryFilesPerSec: number;
  plainFilesPerSec: number;
  ferryRequestsPerFile: number;
  plainRequestsPerFile: number;
  ferryRequests: Record<string, number>;
  maxHistoryEvents: number;
}

if (!SIZES.includes(HEADLINE)) throw new Error(`BENCH_MANY_FILES (${HEADLINE}) must be one of BENCH_MANY_SIZES`);
for (const c of CLOUDS) if (c !== 'drive' && c !== 'yandex') throw new Error(`BENCH_MANY_CLOUDS: unknown cloud ${c}`);

const delta = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)])
      .filter(([, v]) => v),
  );

async function maxHistory(client: Client, workflowId: string): Promise<number> {
  let max = 0;
  for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH "${workflowId}"` })) {
    const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    max = Math.max(max, history.events?.length ?? 0);
  }
  return max;
}

async function main() {
  const stack = await startBenchStack({ name: 'bench:many', fakes: { latencyMs: LATENCY_MS } });
  const { say, fakes, client, pool } = stack;
  try {
    const plain = await forkHelper<PlainMethods, string>('bench/plain-copier.ts', { stops: stack.stops });
    const most = Math.max(...SIZES);
    const hosted: HostedFile[] = await fakes.call('addFiles', '/many', most, FILE_BYTES);
    const items: CopyPlanItem[] = hosted.map((f, i) => ({
      key: `many-${i}`,
      relPath: `Album ${i % ALBUMS}/${i}.jpg`,
      sourceUrl: f.url,
      size: f.size,
      md5: f.md5,
      crc32: f.crc32,
    }));
    const google = await fakes.call('googleTokens');
    const yandexToken = await fakes.call('yandexToken');
    const api = { drive: fakes.ready.driveUrl, yandex: fakes.ready.yandexUrl };
    const token = { drive: google.accessToken, yandex: yandexToken };
    const destination = (cloud: Cloud, rootFolder: string): DestinationSpec =>
      cloud === 'drive'
        ? {
            cloud: 'google_drive',
            rootFolder,
            credentials: { cloud: 'google_drive', refreshToken: google.refreshToken },
          }
        : { cloud: 'yadisk', rootFolder, credentials: { cloud: 'yadisk', token: yandexToken } };
    say(
      `${SIZES.join(', ')} files of ${FILE_BYTES / 1000} KB in ${ALBUMS} albums, ${LATENCY_MS} ms per request on every fake, concurrency ${CONCURRENCY}`,
    );

    const naiveMs = await plain.call('naive', {
      apiUrl: api.drive,
      token: google.accessToken,
      items: items.slice(0, BASELINE_SAMPLE),
    });
    const naiveRate = BASELINE_SAMPLE / (naiveMs / 1000);
    say(`naive sequential (the seeds' way) -> Drive: ${round1(naiveRate)} files/s on ${BASELINE_SAMPLE} files`);

    const counts = async (cloud: Cloud) => (await fakes.call('counts'))[cloud];
    const runs: Run[] = [];
    const fakesCpuBefore = cpuSeconds(fakes.pid);
    // A first, unmeasured round of a few files warms every side alike (JIT, connections, caches).
    const warmUp = Math.min(64, SIZES[0]!);
    for (const [i, files] of [warmUp, ...SIZES].entries()) {
      for (const cloud of CLOUDS) {
        const subset = items.slice(0, files);
        let before = await counts(cloud);
        const p = await plain.call('copy', {
          cloud,
          apiUrl: api[cloud],
          token: token[cloud],
          rootFolder: `Plain ${files} ${randomUUID().slice(0, 6)}`,
          concurrency: CONCURRENCY,
          items: subset,
        });
        if (p.copied !== files) throw new Error(`the plain copier copied ${p.copied}/${files}`);
        let after = await counts(cloud);
        const plainRequests = after.total - before.total;

        before = after;
        const plan = await new PlanStore(pool).save(`many-${randomUUID()}`, subset);
        const workflowId = `bench-many-${cloud}-${files}-${randomUUID()}`;
        const t = performance.now();
        const summary = await client.workflow.execute(copyToCloud, {
          taskQueue: 'bench-copy',
          workflowId,
          args: [
            {
              plan,
              destination: destination(cloud, `Many ${files} ${randomUUID().slice(0, 6)}`),
              options: { allowPrivateNetwork: true, concurrency: CONCURRENCY },
            },
          ],
        });
        const ferryMs = performance.now() - t;
        if (summary.copied !== files)
          throw new Error(`Ferry copied ${summary.copied}/${files}: ${JSON.stringify(summary.failures.slice(0, 3))}`);
        after = await counts(cloud);
        const run: Run = {
          cloud,
          files,
          ferryFilesPerSec: round1(files / (ferryMs / 1000)),
          plainFilesPerSec: round1(files / (p.ms / 1000)),
          ferryRequestsPerFile: round2((after.total - before.total) / files),
          plainRequestsPerFile: round2(plainRequests / files),
          ferryRequests: delta(after.byKind, before.byKind),
          maxHistoryEvents: await maxHistory(client, workflowId),
        };
        if (i === 0) {
          say(`${cloud} warm-up of ${files} files done`);
          continue;
        }
        runs.push(run);
        say(
          `${cloud.padEnd(6)} ${String(files).padStart(5)} files: Ferry ${run.ferryFilesPerSec} files/s (${run.ferryRequestsPerFile} requests/file, history ≤ ${run.maxHistoryEvents}); ` +
            `plain ${run.plainFilesPerSec} files/s (${run.plainRequestsPerFile} requests/file)`,
        );
        say(`  Ferry's requests: ${JSON.stringify(run.ferryRequests)}`);
      }
    }
    const runOf = (cloud: Cloud, files = HEADLINE) => runs.find((r) => r.cloud === cloud && r.files === files);
    const headline = runOf(CLOUDS[0]!)!;
    const bySize = Object.fromEntries(SIZES.map((n) => [String(n), runOf(CLOUDS[0]!, n)!.ferryFilesPerSec]));
    const rates = Object.values(bySize);
    const yandexBySize = CLOUDS.includes('yandex')
      ? Object.fromEntries(SIZES.map((n) => [String(n), runOf('yandex', n)!.ferryFilesPerSec]))
      : undefined;
    const yandexRates = Object.values(yandexBySize ?? {});
    const figures = {
      files: HEADLINE,
      cloud: CLOUDS[0],
      latencyMs: LATENCY_MS,
      concurrency: CONCURRENCY,
      fileBytes: FILE_BYTES,
      filesPerSec: headline.ferryFilesPerSec,
      baselineFilesPerSec: round1(naiveRate),
      speedup: round1(headline.ferryFilesPerSec / naiveRate),
      plainFilesPerSec: headline.plainFilesPerSec,
      concurrentRatio: round2(headline.ferryFilesPerSec / headline.plainFilesPerSec),
      driveRequestsPerFile: runOf('drive')?.ferryRequestsPerFile,
      yandexRequestsPerFile: runOf('yandex')?.ferryRequestsPerFile,
      plainDriveRequestsPerFile: runOf('drive')?.plainRequestsPerFile,
      plainYandexRequestsPerFile: runOf('yandex')?.plainRequestsPerFile,
      yandexFilesPerSec: runOf('yandex')?.ferryFilesPerSec,
      yandexConcurrentRatio:
        runOf('yandex') && round2(runOf('yandex')!.ferryFilesPerSec / runOf('yandex')!.plainFilesPerSec),
      filesPerSecBySize: bySize,
      flatness: round2(Math.min(...rates) / Math.max(...rates)),
      yandexFilesPerSecBySize: yandexBySize,
      yandexFlatness: yandexBySize && round2(Math.min(...yandexRates) / Math.max(...yandexRates)),
      maxHistoryEvents: Math.max(...runs.map((r) => r.maxHistoryEvents)),
      fakesCpuSeconds: Math.round(cpuSeconds(fakes.pid) - fakesCpuBefore),
    };
    const series = CLOUDS.flatMap((cloud, c) => [
      {
        name: `Ferry → ${NAMES[cloud]}`,
        color: c,
        points: SIZES.map((n): [number, number] => [n, runOf(cloud, n)!.ferryFilesPerSec]),
      },
      {
        name: `plain concurrent → ${NAMES[cloud]}`,
        color: c,
        dashed: true,
        points: SIZES.map((n): [number, number] => [n, runOf(cloud, n)!.plainFilesPerSec]),
      },
    ]);
    writeCharts(
      'bench-many',
      [
        {
          id: 'files-per-sec',
          title: `bench:many — files/s by number of files (${FILE_BYTES / 1000} KB, ${LATENCY_MS} ms/request, concurrency ${CONCURRENCY})`,
          x: { label: 'files in the copy', log: true },
          y: { label: 'files/s' },
          series: [
            ...series,
            {
              name: 'naive sequential → Drive',
              color: 2,
              dashed: true,
              points: SIZES.map((n): [number, number] => [n, round1(naiveRate)]),
            },
          ],
        },
      ],
      { ...figures, runs },
    );
    return figures;
  } finally {
    await stack.stop();
  }
}

runBenchmark(main);
