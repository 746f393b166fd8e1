// bench:etl — 1,000,000 generated IT Resume records served by the fake API, loaded end to end by
// Ferry's etlRun workflow (stream -> validate -> COPY -> INSERT ... ON CONFLICT, aggregates, Sheets,
// e-mail) in a separate worker process, against two baselines on the same data and database:
//   - psql \copy of the same records, already transformed, as CSV into a same-shaped table (the
//     physical limit of loading them);
//   - row-by-row INSERT (what the seed script did), on a sample, its rate extrapolated.
// Self-contained: starts embedded PostgreSQL, a Temporal dev server, the fakes and the worker, and
// stops them. The last line is one JSON object with the figures.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { validateRecord } from '../activities/itresume/record';
import { ferryDataConverter } from '../lib/codec';
import { loadConfig } from '../lib/config';
import { startGoogleOAuthFake } from '../test/fakes/google-oauth';
import { startGoogleSheetsFake } from '../test/fakes/google-sheets';
import { startItResumeFake } from '../test/fakes/itresume';
import { startSmtpSink } from '../test/fakes/smtp-sink';
import { buildBenchWorkflowBundle, forkBenchWorkers, startBackbone } from './harness';

const RECORDS = Number(process.env.BENCH_ETL_RECORDS ?? 1_000_000);
const INSERT_SAMPLE = Math.min(RECORDS, Number(process.env.BENCH_ETL_INSERT_SAMPLE ?? 20_000));
const DAY = '2024-10-08';
const COLUMNS =
  'created_at, lti_user_id, attempt_type, is_correct, oauth_consumer_key, lis_result_sourcedid, lis_outcome_service_url, extra_params';

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));
const say = (msg: string) => console.log(`[bench:etl] ${msg}`);

/** Peak RSS of a process since the last reset (VmHWM), in bytes. */
const peakRss = (pid: number) =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
const currentRss = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

const csvField = (v: string | number | null) =>
  v === null ? '' : typeof v === 'number' ? String(v) : `"${v.replace(/"/g, '""')}"`;

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'ferry-bench-etl-'));
  const stops: Array<() => Promise<unknown>> = [];
  try {
    say(`${RECORDS.toLocaleString('en')} records; work dir ${work}`);
    const backbone = await startBackbone(work, stops);

    const itresume = await startItResumeFake({
      days: [DAY],
      recordsPerDay: RECORDS,
      users: 5000,
      seed: 'bench',
      cacheDir: work,
    });
    const oauth = await startGoogleOAuthFake();
    const sheets = await startGoogleSheetsFake({ validAccessToken: (t, s) => oauth.validAccessToken(t, s) });
    const smtp = await startSmtpSink();
    stops.push(itresume.close, oauth.close, sheets.close, smtp.close);
    const spreadsheetId = sheets.createSpreadsheet(['Daily']);

    // The same records, transformed by Ferry's own validation, as CSV for \copy (outside any timing).
    say('rendering the API reply and the CSV of the same records');
    const dayStartUs = Date.parse(`${DAY}T00:00:00Z`) * 1000;
    const csvPath = join(work, 'attempts.csv');
    const csv = createWriteStream(csvPath);
    const sample: string[][] = [];
    let buf = '';
    for (const r of itresume.generator.between(dayStartUs, dayStartUs + 86_400_000_000)) {
      const v = validateRecord(r);
      if (!v.ok) continue;
      const a = v.attempt;
      const row = [
        a.createdAt,
        a.ltiUserId,
        a.attemptType,
        a.isCorrect,
        a.oauthConsumerKey,
        a.lisResultSourcedid,
        a.lisOutcomeServiceUrl,
        a.extraParams ? JSON.stringify(a.extraParams) : null,
      ];
      if (sample.length < INSERT_SAMPLE)
        sample.push(row.map((x) => (x === null ? (null as unknown as string) : String(x))));
      buf += row.map(csvField).join(',') + '\n';
      if (buf.length > 1 << 20) {
        if (!csv.write(buf)) await once(csv, 'drain');
        buf = '';
      }
    }
    csv.end(buf);
    await once(csv, 'finish');
    // Warm the fake's cache: the reply is rendered to disk once, then served as a file.
    const warm = await fetch(
      `${itresume.url}?${new URLSearchParams({ client: itresume.client, client_key: itresume.clientKey, start: `${DAY} 00:00:00.000000`, end: '2024-10-09 00:00:00.000000' })}`,
    );
    let replyBytes = 0;
    for await (const chunk of warm.body!) replyBytes += (chunk as Uint8Array).length;
    say(`API reply ${mb(replyBytes)} MB, CSV ${mb(statSync(csvPath).size)} MB`);

    // Ferry: the etlRun workflow on separate worker processes (harness.ts: the activity worker is measured).
    const bundlePath = await buildBenchWorkflowBundle(work, 'workflows/etl-run.ts');
    const taskQueue = `bench-etl-${randomUUID().slice(0, 8)}`;
    const workerEnv = {
      ...process.env,
      NODE_ENV: 'test',
      FERRY_DATA_DIR: join(work, 'data'),
      TEMPORAL_ADDRESS: backbone.temporalAddress,
      TEMPORAL_TASK_QUEUE: taskQueue,
      DATABASE_URL: backbone.databaseUrl,
      ITRESUME_API_URL: itresume.url,
      ITRESUME_CLIENT: itresume.client,
      ITRESUME_CLIENT_KEY: itresume.clientKey,
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
    const { worker, workflowWorker } = await forkBenchWorkers({ activities: 'etl', env: workerEnv, stops });
    const idleRss = currentRss(worker.pid!);
    writeFileSync(`/proc/${worker.pid}/clear_refs`, '5'); // resets VmHWM: the peak below is the run's

    const config = loadConfig({ ...workerEnv });
    const connection = await Connection.connect({ address: backbone.temporalAddress });
    stops.push(() => connection.close());
    const client = new Client({ connection, dataConverter: ferryDataConverter(config.encryptionKeys) });
    say('Ferry: etlRun of the day (1 window)');
    const t0 = Date.now();
    const result = (await client.workflow.execute('etlRun', {
      taskQueue,
      workflowId: `bench-etl-${randomUUID()}`,
      args: [{ start: DAY, trigger: 'manual', lookbackHours: 0 }],
    })) as { windows: Array<{ fetched: number; inserted: number; downloadMs: number; loadMs: number }> };
    const ferryMs = Date.now() - t0;
    const ferryPeak = peakRss(worker.pid!);
    const w = result.windows[0]!;
    if (w.inserted !== RECORDS) throw new Error(`Ferry inserted ${w.inserted}, expected ${RECORDS}`);
    say(
      `Ferry: ${w.inserted} rows in ${(ferryMs / 1000).toFixed(2)} s end to end (extract+load activity ${(w.loadMs / 1000).toFixed(2)} s, ` +
        `stream finished at ${(w.downloadMs / 1000).toFixed(2)} s) = ${rate(RECORDS, ferryMs)} records/s; ` +
        `worker RSS idle ${mb(idleRss)} MB, peak during the run ${mb(ferryPeak)} MB`,
    );

    // Baseline 1: psql \copy of the same rows as CSV into a same-shaped table (same unique key).
    const admin = new pg.Client({ connectionString: backbone.databaseUrl });
    await admin.connect();
    await admin.query('create table bench_copy (like etl_attempts including all)');
    await admin.query('alter table bench_copy drop constraint if exists bench_copy_run_id_fkey');
    say('baseline: psql \\copy');
    const t1 = Date.now();
    execFileSync(
      '/usr/bin/psql',
      [
        backbone.databaseUrl,
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        `\\copy bench_copy (${COLUMNS}) from '${csvPath}' with (format csv)`,
      ],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    const copyMs = Date.now() - t1;
    const copied = Number((await admin.query<{ n: string }>('select count(*) as n from bench_copy')).rows[0]!.n);
    if (copied !== RECORDS) throw new Error(`\\copy loaded ${copied}, expected ${RECORDS}`);
    say(`\\copy: ${copied} rows in ${(copyMs / 1000).toFixed(2)} s = ${rate(RECORDS, copyMs)} records/s`);

    // Baseline 2: row-by-row INSERT, one statement per record (in one transaction — the kinder variant).
    await admin.query('create table bench_rows (like etl_attempts including all)');
    say(`baseline: row-by-row INSERT of a ${INSERT_SAMPLE.toLocaleString('en')}-record sample`);
    const t2 = Date.now();
    await admin.query('begin');
    for (const row of sample) {
      await admin.query(`insert into bench_rows (${COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8)`, row);
    }
    await admin.query('commit');
    const insertMs = Date.now() - t2;
    const insertRate = rate(INSERT_SAMPLE, insertMs);
    say(
      `row-by-row INSERT: ${INSERT_SAMPLE} rows in ${(insertMs / 1000).toFixed(2)} s = ${insertRate} records/s (extrapolated to ${RECORDS}: ${(RECORDS / insertRate).toFixed(0)} s)`,
    );
    await admin.end();

    const recordsPerSec = rate(RECORDS, ferryMs);
    const figures = {
      records: RECORDS,
      recordsPerSec,
      copyRecordsPerSec: rate(RECORDS, copyMs),
      insertRecordsPerSec: insertRate,
      copyRatio: Math.round((recordsPerSec / rate(RECORDS, copyMs)) * 100) / 100,
      insertSpeedup: Math.round((recordsPerSec / insertRate) * 10) / 10,
      peakRssMb: mb(ferryPeak),
      idleRssMb: mb(idleRss),
      workerRoles: workflowWorker ? 'split' : 'all',
      ferrySeconds: ferryMs / 1000,
      copySeconds: copyMs / 1000,
      insertSampleRecords: INSERT_SAMPLE,
      replyMb: mb(replyBytes),
    };
    return figures;
  } finally {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error(err));
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (figures) => {
    // Last line: the figures, after every service has stopped (and printed whatever it prints).
    console.log(JSON.stringify(figures));
    process.exit(0);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
