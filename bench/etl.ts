// bench:etl — generated IT Resume records (1,000,000, then 5,000,000) served by the fake API, loaded end
// to end by Ferry's etlRun workflow (stream -> validate -> COPY, aggregates, Sheets, e-mail) in
// separate worker processes, against two baselines on the same data and database:
//   - psql \copy of the same records, already transformed, as CSV into a same-shaped table (the
//     physical limit of loading them);
//   - row-by-row INSERT (what the seed script did), on a sample, its rate extrapolated.
// Each size gets a fresh fake, fresh workers and empty tables, so the sizes compare alike: time should
// grow linearly (linearity = seconds per record at the largest size ÷ at the first) and RSS stay flat.
// Ferry's own time is split into download, parse and COPY (the load's stages, from its result).
// Knobs: BENCH_ETL_RECORDS (1000000,5000000; the first is the headline), BENCH_ETL_INSERT_SAMPLE.
// Self-contained; the last line is one JSON object with the figures.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import type { LoadStages } from '../lib/jobs/etl-run';
import { ferryDataConverter } from '../lib/codec';
import { loadConfig } from '../lib/config';
import { startGoogleOAuthFake } from '../fakes/google-oauth';
import { startGoogleSheetsFake } from '../fakes/google-sheets';
import { startSmtpSink } from '../fakes/smtp-sink';
import { writeCharts } from './chart';
import { COLUMNS, DAY, prepareRecords } from './etl-data';
import { buildBenchWorkflowBundle, forkBenchWorkers, startBackbone, type Stops, runBenchmark } from './harness';
import { intKnob, intListKnob, round2 } from './knobs';
import { peakRssMb, resetPeakRss, rssMb } from './proc';

const SIZES = intListKnob('BENCH_ETL_RECORDS', [1_000_000, 5_000_000]);
const INSERT_SAMPLE = Math.min(SIZES[0]!, intKnob('BENCH_ETL_INSERT_SAMPLE', 20_000));

const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));
const say = (msg: string) => console.log(`[bench:etl] ${msg}`);

interface SizeRun {
  records: number;
  replyMb: number;
  ferryMs: number;
  stages: LoadStages;
  copyMs: number;
  peakRssMb: number;
  idleRssMb: number;
  workflowWorkerPeakRssMb?: number;
}

const stopAll = async (stops: Stops) => {
  for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error(err));
  stops.length = 0;
};

/** psql \copy of the CSV into a fresh table shaped like etl_attempts (same unique key); its ms. */
async function psqlCopy(admin: pg.Client, databaseUrl: string, csvPath: string, records: number) {
  await admin.query('drop table if exists bench_copy');
  await admin.query('create table bench_copy (like etl_attempts including all)');
  const t = Date.now();
  execFileSync(
    '/usr/bin/psql',
    [databaseUrl, '-v', 'ON_ERROR_STOP=1', '-c', `\\copy bench_copy (${COLUMNS}) from '${csvPath}' with (format csv)`],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const ms = Date.now() - t;
  const copied = Number((await admin.query<{ n: string }>('select count(*) as n from bench_copy')).rows[0]!.n);
  if (copied !== records) throw new Error(`\\copy loaded ${copied}, expected ${records}`);
  return ms;
}

/** One row per statement (in one transaction, the kinder variant), on a sample; records/s. */
async function rowByRow(admin: pg.Client, sample: string[][]) {
  await admin.query('create table bench_rows (like etl_attempts including all)');
  const t = Date.now();
  await admin.query('begin');
  for (const row of sample) {
    await admin.query(`insert into bench_rows (${COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8)`, row);
  }
  await admin.query('commit');
  return rate(sample.length, Date.now() - t);
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'ferry-bench-etl-'));
  const stops: Stops = [];
  const sizeStops: Stops = [];
  try {
    say(`${SIZES.map((n) => n.toLocaleString('en')).join(', ')} records; work dir ${work}`);
    const backbone = await startBackbone(work, stops);
    const oauth = await startGoogleOAuthFake();
    const sheets = await startGoogleSheetsFake({ validAccessToken: (t, s) => oauth.validAccessToken(t, s) });
    const smtp = await startSmtpSink();
    stops.push(oauth.close, sheets.close, smtp.close);
    const spreadsheetId = sheets.createSpreadsheet(['Daily']);
    const bundlePath = await buildBenchWorkflowBundle(work, 'workflows/etl-run.ts');
    const admin = new pg.Client({ connectionString: backbone.databaseUrl });
    await admin.connect();
    stops.push(() => admin.end());

    const runs: SizeRun[] = [];
    let insertRate = 0;
    for (const records of SIZES) {
      const dir = join(work, `r${records}`);
      mkdirSync(dir);
      say(`${records.toLocaleString('en')} records: rendering the API reply and the CSV of the same records`);
      const data = await prepareRecords(dir, records, runs.length ? 0 : INSERT_SAMPLE);
      sizeStops.push(data.itresume.close);
      say(`API reply ${data.replyMb} MB, CSV ${data.csvMb} MB`);

      // Ferry: the etlRun workflow on fresh worker processes (harness.ts: the activity worker is measured).
      const taskQueue = `bench-etl-${randomUUID().slice(0, 8)}`;
      const workerEnv = {
        ...process.env,
        NODE_ENV: 'test',
        FERRY_DATA_DIR: join(work, 'data'),
        TEMPORAL_ADDRESS: backbone.temporalAddress,
        TEMPORAL_TASK_QUEUE: taskQueue,
        DATABASE_URL: backbone.databaseUrl,
        ITRESUME_API_URL: data.itresume.url,
        ITRESUME_CLIENT: data.itresume.client,
        ITRESUME_CLIENT_KEY: data.itresume.clientKey,
        GOOGLE_TOKEN_URL: oauth.tokenUrl,
        GOOGLE_SHEETS_API_URL: sheets.url,
        GOOGLE_SERVICE_ACCOUNT_JSON: JSON.stringify(oauth.createServiceAccount()),
        SHEETS_SPREADSHEET_ID: spreadsheetId,
        SMTP_URL: smtp.url,
        MAIL_FROM: 'ferry@example.org',
        MAIL_TO: 'bench@example.org',
        LOG_DIR: join(work, 'logs'),
        BENCH_WORKFLOW_BUNDLE: bundlePath,
      };
      await admin.query('truncate etl_attempts, etl_rejected, etl_runs restart identity cascade');
      const { worker, workflowWorker } = await forkBenchWorkers({
        activities: 'etl',
        env: workerEnv,
        stops: sizeStops,
      });
      const idleRss = rssMb(worker.pid!);
      resetPeakRss(worker.pid!); // the peak below is the run's
      if (workflowWorker) resetPeakRss(workflowWorker.pid!);
      const config = loadConfig({ ...workerEnv });
      const connection = await Connection.connect({ address: backbone.temporalAddress });
      sizeStops.push(() => connection.close());
      const client = new Client({ connection, dataConverter: ferryDataConverter(config.encryptionKeys) });
      const t0 = Date.now();
      const result = (await client.workflow.execute('etlRun', {
        taskQueue,
        workflowId: `bench-etl-${randomUUID()}`,
        args: [{ start: DAY, trigger: 'manual', lookbackHours: 0 }],
      })) as { windows: Array<{ inserted: number; loadMs: number; stages?: LoadStages }> };
      const ferryMs = Date.now() - t0;
      const w = result.windows[0]!;
      if (w.inserted !== records) throw new Error(`Ferry inserted ${w.inserted}, expected ${records}`);
      if (!w.stages) throw new Error('the load reported no stages');
      const run: SizeRun = {
        records,
        replyMb: data.replyMb,
        ferryMs,
        stages: w.stages,
        copyMs: 0,
        peakRssMb: peakRssMb(worker.pid!),
        idleRssMb: idleRss,
        workflowWorkerPeakRssMb: workflowWorker && peakRssMb(workflowWorker.pid!),
      };
      const s = w.stages;
      say(
        `Ferry: ${records} rows in ${(ferryMs / 1000).toFixed(2)} s end to end = ${rate(records, ferryMs)} records/s ` +
          `(load ${(w.loadMs / 1000).toFixed(2)} s: download ${s.downloadMs} ms, parse ${s.parseMs} ms, COPY ${s.copyMs} ms); ` +
          `worker RSS idle ${idleRss} MB, peak ${run.peakRssMb} MB`,
      );
      await stopAll(sizeStops);

      run.copyMs = await psqlCopy(admin, backbone.databaseUrl, data.csvPath, records);
      say(`\\copy: ${records} rows in ${(run.copyMs / 1000).toFixed(2)} s = ${rate(records, run.copyMs)} records/s`);
      if (!runs.length) {
        insertRate = await rowByRow(admin, data.sample);
        say(
          `row-by-row INSERT: ${INSERT_SAMPLE} rows = ${insertRate} records/s (extrapolated to ${records}: ${(records / insertRate).toFixed(0)} s)`,
        );
      }
      runs.push(run);
      rmSync(dir, { recursive: true, force: true });
    }

    const first = runs[0]!;
    const last = runs.at(-1)!;
    const recordsPerSec = rate(first.records, first.ferryMs);
    const secPerRecord = (r: SizeRun) => r.ferryMs / r.records;
    const figures = {
      records: first.records,
      recordsPerSec,
      copyRecordsPerSec: rate(first.records, first.copyMs),
      insertRecordsPerSec: insertRate,
      copyRatio: round2(first.copyMs / first.ferryMs),
      insertSpeedup: Math.round((recordsPerSec / insertRate) * 10) / 10,
      downloadMs: first.stages.downloadMs,
      parseMs: first.stages.parseMs,
      copyMs: first.stages.copyMs,
      peakRssMb: first.peakRssMb,
      idleRssMb: first.idleRssMb,
      linearity: round2(secPerRecord(last) / secPerRecord(first)),
      largestRecords: last.records,
      largestRecordsPerSec: rate(last.records, last.ferryMs),
      largestCopyRatio: round2(last.copyMs / last.ferryMs),
      largestPeakRssMb: last.peakRssMb,
      workerRoles: first.workflowWorkerPeakRssMb === undefined ? 'all' : 'split',
      ferrySeconds: first.ferryMs / 1000,
      copySeconds: first.copyMs / 1000,
      insertSampleRecords: INSERT_SAMPLE,
      replyMb: first.replyMb,
    };
    const x = { label: 'records in the day' };
    const seconds = (ms: number) => Math.round(ms / 100) / 10;
    writeCharts(
      'bench-etl',
      [
        {
          id: 'time',
          title: 'bench:etl — seconds to load one day, by records',
          x,
          y: { label: 'seconds' },
          series: [
            { name: 'Ferry, end to end', color: 0, points: runs.map((r) => [r.records, seconds(r.ferryMs)]) },
            {
              name: 'psql \\copy of the same rows',
              color: 1,
              dashed: true,
              points: runs.map((r) => [r.records, seconds(r.copyMs)]),
            },
            {
              name: "Ferry's load: download",
              color: 2,
              dashed: true,
              points: runs.map((r) => [r.records, seconds(r.stages.downloadMs)]),
            },
            {
              name: "Ferry's load: parse",
              color: 3,
              dashed: true,
              points: runs.map((r) => [r.records, seconds(r.stages.parseMs)]),
            },
            {
              name: "Ferry's load: COPY",
              color: 4,
              dashed: true,
              points: runs.map((r) => [r.records, seconds(r.stages.copyMs)]),
            },
          ],
        },
        {
          id: 'rss',
          title: 'bench:etl — activity worker peak RSS (MB), by records',
          x,
          y: { label: 'MB' },
          series: [
            { name: 'peak during the run', color: 0, points: runs.map((r) => [r.records, r.peakRssMb]) },
            { name: 'idle before it', color: 0, dashed: true, points: runs.map((r) => [r.records, r.idleRssMb]) },
          ],
        },
      ],
      { ...figures, runs },
    );
    return figures;
  } finally {
    await stopAll(sizeStops);
    await stopAll(stops);
    rmSync(work, { recursive: true, force: true });
  }
}

runBenchmark(main);
