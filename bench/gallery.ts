// bench:gallery — a 50,000-photo gallery (100 albums, tiny files) archived into a cloud fake through
// Ferry as a user runs it: the API in its own process (POST /cloud_archive -> the OAuth fake's consent
// -> the callback), the cloudArchive workflow and its copy child on a Temporal dev server, the workers
// split as Kubernetes runs them — against a plain in-memory concurrent copier (bench/plain-copier.ts,
// no orchestration, no durability) at the same concurrency on the same stand-ins, in the same run.
// Knobs: BENCH_GALLERY_FILES (50000), BENCH_GALLERY_ALBUMS (100), BENCH_GALLERY_FILE_BYTES (4096),
// BENCH_GALLERY_CLOUD (google_drive | yadisk), BENCH_GALLERY_CONCURRENCY (Ferry's COPY_CONCURRENCY
// default), BENCH_GALLERY_LATENCY_MS (0).
// The last line is one JSON object: filesPerSec, plainFilesPerSec, ratio, maxHistoryEvents, workerPeakRssMb.
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../lib/config';
import { freePort } from '../dev/ports';
import { writeCharts } from './chart';
import { peakRssMb, resetPeakRss, rssMb, startBenchStack } from './copy-stack';
import { ARCHIVE_HOST, runArchive, startApi } from './gallery-flow';
import { bytesKnob, intKnob, round1, round2 } from './knobs';
import type { PlainMethods } from './plain-copier';
import { backboneCpuSeconds, cpuSeconds, machineBusySeconds } from './proc';
import { forkHelper } from './rpc';
import { runBenchmark } from './harness';

const FILES = intKnob('BENCH_GALLERY_FILES', 50_000);
const ALBUMS = intKnob('BENCH_GALLERY_ALBUMS', 100);
const FILE_BYTES = bytesKnob('BENCH_GALLERY_FILE_BYTES', 4096);
const CLOUD = (process.env.BENCH_GALLERY_CLOUD ?? 'google_drive') as 'google_drive' | 'yadisk';
const LATENCY_MS = intKnob('BENCH_GALLERY_LATENCY_MS', 0);
if (CLOUD !== 'google_drive' && CLOUD !== 'yadisk')
  throw new Error(`BENCH_GALLERY_CLOUD: google_drive or yadisk, not ${CLOUD}`);

async function maxHistory(client: Client): Promise<{ workflows: number; maxEvents: number }> {
  let maxEvents = 0;
  let workflows = 0;
  for await (const wf of client.workflow.list()) {
    const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    maxEvents = Math.max(maxEvents, history.events?.length ?? 0);
    workflows++;
  }
  return { workflows, maxEvents };
}

async function main() {
  const apiPort = await freePort();
  const publicUrl = `http://127.0.0.1:${apiPort}`;
  const defaults = loadConfig({ NODE_ENV: 'test' });
  const concurrency = intKnob('BENCH_GALLERY_CONCURRENCY', defaults.COPY_CONCURRENCY);
  const stack = await startBenchStack({
    name: 'bench:gallery',
    activities: 'gallery',
    fakes: { latencyMs: LATENCY_MS },
    env: {
      FERRY_PUBLIC_URL: publicUrl,
      FERRY_ALLOW_PRIVATE_NETWORK: '1',
      GALLERY_ALLOWED_HOSTS: ARCHIVE_HOST,
      GALLERY_FILE_HOSTS: '127.0.0.1',
      REDIRECT_ALLOWED_HOSTS: 'front.gallery.bench',
      COPY_CONCURRENCY: String(concurrency),
      CLOUD_ARCHIVE_RATE_LIMIT_PER_MINUTE: '1000',
    },
  });
  const { say, fakes, client, worker, workflowWorker } = stack;
  try {
    for (const provider of ['google', 'yandex'] as const)
      await fakes.call('addRedirectUri', provider, `${publicUrl}/oauth/${provider}/callback`);
    const api = await startApi({ ...process.env, ...stack.env }, apiPort, stack.stops);
    const plain = await forkHelper<PlainMethods, string>('bench/plain-copier.ts', { stops: stack.stops });
    const listingPath = `/g/api/stream/${Date.now()}/${randomBytes(6).toString('hex')}`;
    const gallery = await fakes.call('addGallery', listingPath, FILES, ALBUMS, FILE_BYTES);
    const cloud = CLOUD === 'google_drive' ? 'drive' : 'yandex';
    say(
      `${FILES} photos of ${FILE_BYTES} bytes in ${ALBUMS} albums -> ${CLOUD}, concurrency ${concurrency}, ${LATENCY_MS} ms latency`,
    );

    // The plain copier: the same listing, the same files, the same cloud fake, no orchestration.
    const google = await fakes.call('googleTokens');
    const token = cloud === 'drive' ? google.accessToken : await fakes.call('yandexToken');
    let before = (await fakes.call('counts'))[cloud];
    const plainCpuBefore = {
      copier: cpuSeconds(plain.pid),
      fakes: cpuSeconds(fakes.pid),
      machine: machineBusySeconds(),
    };
    const p = await plain.call('gallery', {
      cloud,
      apiUrl: cloud === 'drive' ? fakes.ready.driveUrl : fakes.ready.yandexUrl,
      token,
      rootFolder: 'Plain gallery',
      concurrency,
      listingUrl: `${fakes.ready.galleryUrl}${listingPath}?json=true`,
    });
    if (p.copied !== FILES) throw new Error(`the plain copier copied ${p.copied}/${FILES}`);
    // CPU per photo, every party's and the whole machine's: what bounds each side on a small machine.
    const plainCpu = {
      copier: round1(cpuSeconds(plain.pid) - plainCpuBefore.copier),
      fakes: round1(cpuSeconds(fakes.pid) - plainCpuBefore.fakes),
      machine: round1(machineBusySeconds() - plainCpuBefore.machine),
      wall: round1(p.ms / 1000),
    };
    let after = (await fakes.call('counts'))[cloud];
    const plainRequests = after.total - before.total;
    const plainRate = FILES / (p.ms / 1000);
    say(`plain concurrent copier: ${round1(plainRate)} files/s (${round2(plainRequests / FILES)} requests/file)`);

    // Ferry, through the API.
    before = after;
    const idle = { activities: rssMb(worker.pid!), workflows: workflowWorker && rssMb(workflowWorker.pid!) };
    resetPeakRss(worker.pid!);
    if (workflowWorker) resetPeakRss(workflowWorker.pid!);
    const cpuBefore = {
      worker: cpuSeconds(worker.pid!),
      workflowWorker: workflowWorker && cpuSeconds(workflowWorker.pid!),
      fakes: cpuSeconds(fakes.pid),
      api: cpuSeconds(api.pid),
      ...backboneCpuSeconds(),
      machine: machineBusySeconds(),
    };
    const progress: Array<[number, number]> = [[0, 0]];
    const rss: Array<{ t: number; activities: number; workflows?: number }> = [];
    const t0 = performance.now();
    const final = await runArchive(api.url, { listingPath, cloud: CLOUD, galleryName: 'Bench gallery' }, (s) => {
      const t = Math.round(performance.now() - t0);
      progress.push([t, s.progress.files.done]);
      rss.push({ t, activities: rssMb(worker.pid!), workflows: workflowWorker && rssMb(workflowWorker.pid!) });
    });
    const ferryMs = performance.now() - t0;
    if (final.report?.copied !== FILES || final.report.failed_photos !== 0)
      throw new Error(`Ferry: ${JSON.stringify(final.report)}`);
    after = (await fakes.call('counts'))[cloud];
    const ferryRate = FILES / (ferryMs / 1000);
    const peaks = { activities: peakRssMb(worker.pid!), workflows: workflowWorker && peakRssMb(workflowWorker.pid!) };
    const backbone = backboneCpuSeconds();
    const cpu = {
      activityWorker: round1(cpuSeconds(worker.pid!) - cpuBefore.worker),
      workflowWorker: workflowWorker && round1(cpuSeconds(workflowWorker.pid!) - cpuBefore.workflowWorker!),
      fakes: round1(cpuSeconds(fakes.pid) - cpuBefore.fakes),
      api: round1(cpuSeconds(api.pid) - cpuBefore.api),
      temporal: round1(backbone.temporal - cpuBefore.temporal),
      postgres: round1(backbone.postgres - cpuBefore.postgres),
      // Everything busy on the machine (anything else running included).
      machine: round1(machineBusySeconds() - cpuBefore.machine),
      wall: round1(ferryMs / 1000),
    };
    const history = await maxHistory(client);
    say(
      `Ferry: ${round1(ferryRate)} files/s (${round2((after.total - before.total) / FILES)} requests/file), ${history.workflows} workflows, longest history ${history.maxEvents} events`,
    );
    say(
      `worker peak RSS: activities ${peaks.activities} MB (idle ${idle.activities})${workflowWorker ? `, workflows ${peaks.workflows} MB (idle ${idle.workflows})` : ''}; CPU s ${JSON.stringify(cpu)}`,
    );
    const figures = {
      files: FILES,
      albums: ALBUMS,
      fileBytes: FILE_BYTES,
      cloud: CLOUD,
      concurrency,
      latencyMs: LATENCY_MS,
      filesPerSec: round1(ferryRate),
      plainFilesPerSec: round1(plainRate),
      ratio: round2(ferryRate / plainRate),
      maxHistoryEvents: history.maxEvents,
      workflows: history.workflows,
      workerPeakRssMb: Math.max(peaks.activities, peaks.workflows ?? 0),
      activityWorkerPeakRssMb: peaks.activities,
      workflowWorkerPeakRssMb: peaks.workflows,
      activityWorkerIdleRssMb: idle.activities,
      workflowWorkerIdleRssMb: idle.workflows,
      workerRoles: workflowWorker ? 'split' : 'all',
      requestsPerFile: round2((after.total - before.total) / FILES),
      plainRequestsPerFile: round2(plainRequests / FILES),
      ferryRequests: Object.fromEntries(
        Object.entries(after.byKind)
          .map(([k, v]) => [k, v - (before.byKind[k] ?? 0)])
          .filter(([, v]) => v),
      ),
      cpuSeconds: cpu,
      plainCpuSeconds: plainCpu,
      // Ferry's parties (workers, fakes, API, Temporal, PostgreSQL) and the plain copier's (it, the fakes).
      cpuMsPerFile: round2(
        ((cpu.activityWorker + (cpu.workflowWorker ?? 0) + cpu.fakes + cpu.api + cpu.temporal + cpu.postgres) * 1000) /
          FILES,
      ),
      plainCpuMsPerFile: round2(((plainCpu.copier + plainCpu.fakes) * 1000) / FILES),
      galleryBytes: gallery.totalBytes,
    };
    const seconds = (ms: number) => Math.round(ms / 100) / 10;
    writeCharts(
      'bench-gallery',
      [
        {
          id: 'progress',
          title: `bench:gallery — photos copied over time (${FILES} photos, ${ALBUMS} albums → ${CLOUD})`,
          x: { label: 'seconds since the start', format: (x) => `${x}` },
          y: { label: 'photos copied' },
          series: [
            { name: 'Ferry (API + Temporal)', color: 0, points: progress.map(([t, n]) => [seconds(t), n]) },
            {
              name: 'plain concurrent copier',
              color: 1,
              dashed: true,
              points: [[0, 0], ...p.progress.map(([t, n]): [number, number] => [seconds(t), n])],
            },
          ],
        },
        {
          id: 'rss',
          title: 'bench:gallery — worker RSS during the run (MB)',
          x: { label: 'seconds since the start', format: (x) => `${x}` },
          y: { label: 'MB' },
          series: [
            { name: 'activity worker', color: 0, points: rss.map((r) => [seconds(r.t), r.activities]) },
            ...(workflowWorker
              ? [
                  {
                    name: 'workflow worker',
                    color: 1,
                    points: rss.map((r): [number, number] => [seconds(r.t), r.workflows!]),
                  },
                ]
              : []),
          ],
        },
      ],
      { ...figures, progress, plainProgress: p.progress, rss },
    );
    return figures;
  } finally {
    await stack.stop();
  }
}

runBenchmark(main);
