// bench:large — one 1 GiB file through Ferry's copy workflow into the Drive fake (resumable protocol,
// 8 MiB chunks) and the Yandex fake (upload href + streamed PUT), against a plain streaming pipe from
// the same source to the same fake in the same run; and the peak RSS of the worker process that moves the
// bytes (the activity worker; the workflow worker's peak is reported beside it).
// Self-contained; the last line is one JSON object: driveRatio, yandexRatio (Ferry ÷ pipe), peakRssMb.
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { PlanStore } from '../activities/copy/plan-store';
import type { DestinationSpec } from '../lib/copy-plan';
import { copyToCloud } from '../workflows';
import { peakRssMb, resetPeakRss, rssMb, startBenchStack } from './copy-stack';

const SIZE = Number(process.env.BENCH_LARGE_BYTES ?? 1024 ** 3);
const mbps = (bytes: number, ms: number) => Math.round((bytes / 1024 / 1024 / (ms / 1000)) * 10) / 10;

async function main() {
  const stack = await startBenchStack({ name: 'bench:large' });
  const { say, source, drive, yandex, googleOAuth, yandexOAuth, client, pool } = stack;
  try {
    const { worker, workflowWorker } = stack;
    const idleRss = rssMb(worker.pid!);
    const startPeak = peakRssMb(worker.pid!);
    say(`worker RSS when idle: ${idleRss} MB (peak while starting: ${startPeak} MB)`);
    resetPeakRss(worker.pid!); // the peak read below is the transfers'
    const file = source.addGenerated('/large.bin', SIZE, 7);
    say(`${(SIZE / 1024 ** 2).toFixed(0)} MiB, md5 ${file.md5}`);
    const sourceUrl = source.urlOf('/large.bin');
    const googleTokens = googleOAuth.issueTokens();
    const yandexToken = yandexOAuth.issueTokens().accessToken;

    // The pipes: source GET body straight into one upload request, nothing else.
    const pipeDrive = async () => {
      const t = performance.now();
      const session = await fetch(`${drive.url}/upload/drive/v3/files?uploadType=resumable`, {
        method: 'POST',
        headers: { authorization: `Bearer ${googleTokens.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `pipe-${randomUUID()}.bin` }),
      });
      const src = await fetch(sourceUrl);
      const put = await fetch(session.headers.get('location')!, {
        method: 'PUT',
        headers: { 'content-range': `bytes 0-${SIZE - 1}/${SIZE}`, 'content-length': String(SIZE) },
        body: src.body,
        duplex: 'half',
      } as RequestInit);
      if (put.status !== 200 && put.status !== 201) throw new Error(`pipe to Drive: ${put.status}`);
      return performance.now() - t;
    };
    const pipeYandex = async () => {
      const t = performance.now();
      const link = await fetch(
        `${yandex.url}/resources/upload?path=${encodeURIComponent(`disk:/pipe-${randomUUID()}.bin`)}`,
        {
          headers: { authorization: `OAuth ${yandexToken}` },
        },
      );
      const { href } = (await link.json()) as { href: string };
      const src = await fetch(sourceUrl);
      const put = await fetch(href, { method: 'PUT', body: src.body, duplex: 'half' } as RequestInit);
      if (put.status !== 201 && put.status !== 202) throw new Error(`pipe to Yandex: ${put.status}`);
      return performance.now() - t;
    };

    const ferry = async (destination: DestinationSpec) => {
      const plan = await new PlanStore(pool).save(`large-${randomUUID()}`, [
        {
          key: `large-${destination.cloud}`,
          relPath: 'large.bin',
          sourceUrl,
          size: SIZE,
          md5: file.md5,
          crc32: file.crc32,
        },
      ]);
      const t = performance.now();
      const summary = await client.workflow.execute(copyToCloud, {
        taskQueue: 'bench-copy',
        workflowId: `bench-large-${randomUUID()}`,
        args: [{ plan, destination, options: { allowPrivateNetwork: true } }],
      });
      const ms = performance.now() - t;
      if (summary.copied !== 1) throw new Error(`Ferry did not copy the file: ${JSON.stringify(summary.failures)}`);
      return ms;
    };

    const driveSpec: DestinationSpec = {
      cloud: 'google_drive',
      rootFolder: `Large ${randomUUID().slice(0, 6)}`,
      credentials: { cloud: 'google_drive', refreshToken: googleTokens.refreshToken },
    };
    const yandexSpec: DestinationSpec = {
      cloud: 'yadisk',
      rootFolder: `Large ${randomUUID().slice(0, 6)}`,
      credentials: { cloud: 'yadisk', token: yandexToken },
    };

    const drivePipeMs = await pipeDrive();
    say(`pipe  -> Drive : ${mbps(SIZE, drivePipeMs)} MB/s`);
    const driveFerryMs = await ferry(driveSpec);
    say(`Ferry -> Drive : ${mbps(SIZE, driveFerryMs)} MB/s (resumable, verified md5 + crc32)`);
    const yandexPipeMs = await pipeYandex();
    say(`pipe  -> Yandex: ${mbps(SIZE, yandexPipeMs)} MB/s`);
    const yandexFerryMs = await ferry(yandexSpec);
    say(`Ferry -> Yandex: ${mbps(SIZE, yandexFerryMs)} MB/s (streamed PUT, operation polled, verified)`);
    const peak = peakRssMb(worker.pid!);
    const workflowPeak = workflowWorker && peakRssMb(workflowWorker.pid!);
    say(
      `worker peak RSS ${peak} MB${workflowWorker ? ` (workflow worker: ${workflowPeak} MB)` : ''}; machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
    );
    console.log(
      JSON.stringify({
        bytes: SIZE,
        driveFerryMBps: mbps(SIZE, driveFerryMs),
        drivePipeMBps: mbps(SIZE, drivePipeMs),
        yandexFerryMBps: mbps(SIZE, yandexFerryMs),
        yandexPipeMBps: mbps(SIZE, yandexPipeMs),
        driveRatio: Math.round((drivePipeMs / driveFerryMs) * 100) / 100,
        yandexRatio: Math.round((yandexPipeMs / yandexFerryMs) * 100) / 100,
        peakRssMb: peak,
        idleRssMb: idleRss,
        startPeakRssMb: startPeak,
        workerRoles: workflowWorker ? 'split' : 'all',
        workflowWorkerPeakRssMb: workflowPeak,
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
