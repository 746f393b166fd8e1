// bench:large — one large file (1 GiB, then 4 GiB) through Ferry's copy workflow into the Drive fake
// (resumable protocol, DRIVE_CHUNK_SIZE chunks, MD5 + CRC-32 checked) and the Yandex fake (upload link,
// streamed PUT, operation polled, verified), against the leanest pipe from the same source to the same
// fake in the same run (bench/pipes.ts: node:http and curl, each in processes of their own; the faster
// is the baseline). The fakes run in their own process too. RSS: the activity worker's growth over its
// idle RSS while it moves 1 GiB and 4 GiB (flat = streaming).
// Knobs: BENCH_LARGE_BYTES (default 1GiB), BENCH_LARGE_BIG_BYTES (default 4 × that).
// The last line is one JSON object: driveRatio, yandexRatio, pipeClient, rssGrowthMb, rssGrowth4GiBMb, …
import { randomUUID } from 'node:crypto';
import { PlanStore } from '../activities/copy/plan-store';
import { loadConfig } from '../lib/config';
import type { DestinationSpec } from '../lib/jobs/copy-to-cloud';
import { copyToCloud } from '../workflows';
import { writeCharts } from './chart';
import { peakRssMb, resetPeakRss, rssMb, startBenchStack, type BenchStack } from './copy-stack';
import { bytesKnob, mbps, round2 } from './knobs';
import { startPipes, type PipeClient, type PipeTarget } from './pipes';
import { cpuSeconds } from './proc';
import { runBenchmark } from './harness';

const SIZE = bytesKnob('BENCH_LARGE_BYTES', 1024 ** 3);
const BIG = bytesKnob('BENCH_LARGE_BIG_BYTES', 4 * SIZE);
const GiB = 1024 ** 3;
const sizeLabel = (b: number) => (b >= GiB ? `${+(b / GiB).toFixed(2)} GiB` : `${+(b / 1024 ** 2).toFixed(1)} MiB`);

const CLOUDS = ['drive', 'yandex'] as const;
type Cloud = (typeof CLOUDS)[number];
const NAMES: Record<Cloud, string> = { drive: 'Drive', yandex: 'Yandex' };
interface CloudRun {
  ferryMs: number;
  pipeMs: Record<PipeClient, number>;
  best: PipeClient;
}
interface SizeRun {
  bytes: number;
  clouds: Record<Cloud, CloudRun>;
  peakRssMb: number;
  workflowWorkerPeakRssMb?: number;
}

async function ferryCopy(
  stack: BenchStack,
  destination: DestinationSpec,
  file: { url: string; size: number; md5: string; crc32: string },
) {
  const plan = await new PlanStore(stack.pool).save(`large-${randomUUID()}`, [
    {
      key: `large-${randomUUID()}`,
      relPath: 'large.bin',
      sourceUrl: file.url,
      size: file.size,
      md5: file.md5,
      crc32: file.crc32,
    },
  ]);
  const t = performance.now();
  const summary = await stack.client.workflow.execute(copyToCloud, {
    taskQueue: 'bench-copy',
    workflowId: `bench-large-${randomUUID()}`,
    args: [{ plan, destination, options: { allowPrivateNetwork: true } }],
  });
  const ms = performance.now() - t;
  if (summary.copied !== 1) throw new Error(`Ferry did not copy the file: ${JSON.stringify(summary.failures)}`);
  return ms;
}

async function main() {
  const stack = await startBenchStack({ name: 'bench:large' });
  const { say, fakes, worker, workflowWorker } = stack;
  try {
    const pipes = await startPipes(stack.stops);
    const chunkSize = Math.max(
      256 * 1024,
      Math.floor(loadConfig(stack.env).DRIVE_CHUNK_SIZE / (256 * 1024)) * 256 * 1024,
    );
    const idleRss = rssMb(worker.pid!);
    const startPeak = peakRssMb(worker.pid!);
    say(
      `activity worker RSS when idle: ${idleRss} MB (peak while starting: ${startPeak} MB); Drive chunks ${chunkSize / 1024 ** 2} MiB`,
    );
    const google = await fakes.call('googleTokens');
    const yandexToken = await fakes.call('yandexToken');
    const fakesCpuBefore = cpuSeconds(fakes.pid);

    const runs: SizeRun[] = [];
    // A first, unmeasured round of a small file warms every side alike (JIT, connections, the fakes).
    const warmUp = Math.min(16 * 1024 ** 2, Math.floor(SIZE / 4));
    for (const [i, bytes] of [warmUp, SIZE, BIG].entries()) {
      const file = await fakes.call('addGenerated', `/large-${i}.bin`, bytes, 7 + i);
      say(`${i ? '' : 'warm-up: '}${sizeLabel(bytes)}, md5 ${file.md5}`);
      resetPeakRss(worker.pid!);
      if (workflowWorker) resetPeakRss(workflowWorker.pid!);
      const target = (cloud: Cloud): PipeTarget => ({
        cloud,
        sourceUrl: file.url,
        size: bytes,
        apiUrl: cloud === 'drive' ? fakes.ready.driveUrl : fakes.ready.yandexUrl,
        token: cloud === 'drive' ? google.accessToken : yandexToken,
        chunkSize,
      });
      const specs: Record<Cloud, DestinationSpec> = {
        drive: {
          cloud: 'google_drive',
          rootFolder: `Large ${randomUUID().slice(0, 6)}`,
          credentials: { cloud: 'google_drive', refreshToken: google.refreshToken },
        },
        yandex: {
          cloud: 'yadisk',
          rootFolder: `Large ${randomUUID().slice(0, 6)}`,
          credentials: { cloud: 'yadisk', token: yandexToken },
        },
      };
      const clouds = {} as Record<Cloud, CloudRun>;
      for (const cloud of CLOUDS) {
        const pipe = await pipes.run(target(cloud));
        const ferryMs = await ferryCopy(stack, specs[cloud], { ...file, size: bytes });
        clouds[cloud] = { ferryMs, pipeMs: pipe.ms, best: pipe.best };
        say(
          `${cloud.padEnd(6)} ${sizeLabel(bytes)}: Ferry ${mbps(bytes, ferryMs)} MB/s; pipe node:http ${mbps(bytes, pipe.ms['node:http'])}, curl ${mbps(bytes, pipe.ms.curl)} MB/s`,
        );
      }
      const run: SizeRun = {
        bytes,
        clouds,
        peakRssMb: peakRssMb(worker.pid!),
        workflowWorkerPeakRssMb: workflowWorker && peakRssMb(workflowWorker.pid!),
      };
      say(`${sizeLabel(bytes)}: activity worker peak ${run.peakRssMb} MB = idle + ${run.peakRssMb - idleRss} MB`);
      if (i) runs.push(run);
    }
    const fakesCpu = cpuSeconds(fakes.pid) - fakesCpuBefore;
    const [base, big] = runs as [SizeRun, SizeRun];
    const best = (c: Cloud, r = base) => r.clouds[c].pipeMs[r.clouds[c].best];
    const ratio = (c: Cloud, r = base) => round2(best(c, r) / r.clouds[c].ferryMs);
    const pipeClient =
      base.clouds.drive.best === base.clouds.yandex.best
        ? base.clouds.drive.best
        : `${base.clouds.drive.best} (Drive), ${base.clouds.yandex.best} (Yandex)`;
    const figures = {
      bytes: SIZE,
      bigBytes: BIG,
      driveRatio: ratio('drive'),
      yandexRatio: ratio('yandex'),
      driveFerryMBps: mbps(SIZE, base.clouds.drive.ferryMs),
      drivePipeMBps: mbps(SIZE, best('drive')),
      yandexFerryMBps: mbps(SIZE, base.clouds.yandex.ferryMs),
      yandexPipeMBps: mbps(SIZE, best('yandex')),
      pipeClient,
      pipeMBps: Object.fromEntries(
        (['drive', 'yandex'] as const).map((c) => [
          c,
          { 'node:http': mbps(SIZE, base.clouds[c].pipeMs['node:http']), curl: mbps(SIZE, base.clouds[c].pipeMs.curl) },
        ]),
      ),
      driveChunkMiB: chunkSize / 1024 ** 2,
      rssGrowthMb: base.peakRssMb - idleRss,
      rssGrowth4GiBMb: big.peakRssMb - idleRss,
      idleRssMb: idleRss,
      peakRssMb: base.peakRssMb,
      peakRss4GiBMb: big.peakRssMb,
      startPeakRssMb: startPeak,
      driveRatio4GiB: ratio('drive', big),
      yandexRatio4GiB: ratio('yandex', big),
      workerRoles: workflowWorker ? 'split' : 'all',
      workflowWorkerPeakRssMb: base.workflowWorkerPeakRssMb,
      fakesCpuSeconds: Math.round(fakesCpu),
    };
    const x = { label: 'file size', format: sizeLabel };
    writeCharts(
      'bench-large',
      [
        {
          id: 'throughput',
          title: 'bench:large — throughput of one large file (MiB/s)',
          x,
          y: { label: 'MiB/s' },
          series: CLOUDS.flatMap((cloud, color) => [
            {
              name: `Ferry → ${NAMES[cloud]}`,
              color,
              points: runs.map((r): [number, number] => [r.bytes, mbps(r.bytes, r.clouds[cloud].ferryMs)]),
            },
            {
              name: `pipe → ${NAMES[cloud]}`,
              color,
              dashed: true,
              points: runs.map((r): [number, number] => [r.bytes, mbps(r.bytes, best(cloud, r))]),
            },
          ]),
        },
        {
          id: 'rss',
          title: 'bench:large — activity worker RSS growth over idle (MB)',
          x,
          y: { label: 'MB over idle' },
          series: [
            { name: `peak − idle (idle ${idleRss} MB)`, points: runs.map((r) => [r.bytes, r.peakRssMb - idleRss]) },
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
