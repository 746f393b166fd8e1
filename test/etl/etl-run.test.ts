// The daily ETL end to end on real PostgreSQL and a real Temporal server, against the fake IT Resume
// API, the Google OAuth + Sheets fakes and a real SMTP sink. Each test owns its UTC days (the fakes
// only have records on them), so tests can share the database.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { createEtlActivities } from '../../activities/etl/activities';
import { createApp } from '../../api/app';
import { createLogger } from '../../lib/logger';
import { utcDay } from '../../lib/etl-windows';
import type { EtlRunInput } from '../../lib/jobs/etl-run';
import { etlRun } from '../../workflows/etl-run';
import { HOSTILE_KINDS, renderRecord, type HostileKind } from '../../fakes/itresume';
import { testClient, uniqueTaskQueue, withWorker } from '../helpers/temporal';
import { attemptsOn, etlWorld, type EtlWorld } from './harness';

async function runEtl(world: EtlWorld, input: EtlRunInput) {
  const client = await testClient(world.config);
  const taskQueue = uniqueTaskQueue('etl');
  const activities = createEtlActivities({
    config: world.config,
    logger: createLogger({ level: 'silent' }),
    pool: world.pool,
  });
  const workflowId = `etl-test-${randomUUID()}`;
  return withWorker({ activities, taskQueue, config: world.config }, async () => {
    const handle = await client.workflow.start(etlRun, { taskQueue, workflowId, args: [input] });
    try {
      return { workflowId, result: await handle.result(), error: undefined };
    } catch (error) {
      return { workflowId, result: undefined, error: error as WorkflowFailedError };
    }
  });
}

const runsOf = async (world: EtlWorld, workflowId: string) =>
  (
    await world.pool.query<{
      id: string;
      status: string;
      fetched: number;
      inserted: number;
      duplicates: number;
      rejected: number;
      error: string | null;
    }>(
      'select id, status, fetched, inserted, duplicates, rejected, error from etl_runs where workflow_id = $1 order by window_start',
      [workflowId],
    )
  ).rows;

const rootCause = (err: unknown) => {
  let e = err as { cause?: unknown; message: string; type?: string };
  while (e.cause) e = e.cause as typeof e;
  return e;
};

describe('daily ETL', () => {
  it('loads a day end to end, and a re-run of it adds nothing and keeps one sheet row', async () => {
    const day = '2023-03-01';
    const world = await etlWorld({ days: [day], recordsPerDay: 400, users: 37, seed: 'e2e' });
    const want = world.itresume.expected(day);
    expect(want.attempts).toBe(400);

    const first = await runEtl(world, { start: day, lookbackHours: 3 });
    expect(first.error).toBeUndefined();
    expect(first.result!.windows).toEqual([
      expect.objectContaining({
        day,
        fetched: 400,
        inserted: 400,
        duplicates: 0,
        rejected: 0,
        // Where the load's time went (bench:etl reports it): three parts that add up to loadMs.
        stages: { downloadMs: expect.any(Number), parseMs: expect.any(Number), copyMs: expect.any(Number) },
      }),
    ]);
    const w = first.result!.windows[0]!;
    expect(Math.abs(w.stages!.downloadMs + w.stages!.parseMs + w.stages!.copyMs - w.loadMs)).toBeLessThanOrEqual(1);
    // The request asked for the day plus the lookback overlap, in IT Resume's time format.
    expect(world.itresume.requests[0]!.query).toMatchObject({
      start: '2023-02-28 21:00:00.000000',
      end: '2023-03-02 00:00:00.000000',
      client: world.itresume.client,
    });

    // Rows in the table, and the figures computed in SQL.
    expect(await attemptsOn(world.pool, day)).toBe(400);
    const figures = { date: day, attempts: want.attempts, successful: want.successful, uniqueUsers: want.uniqueUsers };
    expect(first.result!.days).toEqual([figures]);
    expect(want.successful).toBeGreaterThan(0);
    expect(want.uniqueUsers).toBe(37);

    // The sheet: a header, then the day's row.
    expect(world.sheets.rows(world.spreadsheetId)).toEqual([
      ['date', 'attempts', 'successful_attempts', 'unique_users'],
      [day, want.attempts, want.successful, want.uniqueUsers],
    ]);

    // The e-mail, parsed: the day's figures in the text and in the HTML table.
    const mail = await world.smtp.waitFor((m) => m.subject?.includes(day) ?? false);
    expect(mail.to).toMatchObject({ text: 'data-team@example.org' });
    expect(mail.text).toMatch(new RegExp(`${day}\\s+${want.attempts}\\s+${want.successful}\\s+${want.uniqueUsers}`));
    const cells = [...String(mail.html).matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((m) => m[1]);
    expect(cells.slice(0, 4)).toEqual([day, String(want.attempts), String(want.successful), String(want.uniqueUsers)]);
    expect(cells.slice(4, 9)).toEqual([day, '400', '400', '0', '0']);

    // The log file of today, with every stage's start and end.
    const log = readFileSync(join(world.logDir, `${utcDay(Date.now())}.log`), 'utf8');
    for (const line of [
      'download + load started',
      'download started',
      'download finished in',
      'load finished in',
      'aggregate 2023-02-28..2023-03-01 finished',
      'sheets update started',
      'sheets update finished',
      'report e-mail finished',
      'log retention (3 days) finished',
    ]) {
      expect(log).toContain(line);
    }

    // Re-run the same day: zero new rows, the same single sheet row, and etl_runs says so.
    const second = await runEtl(world, { start: day, lookbackHours: 3 });
    expect(second.error).toBeUndefined();
    expect(await attemptsOn(world.pool, day)).toBe(400);
    expect(world.sheets.rows(world.spreadsheetId)).toHaveLength(2);
    expect(world.sheets.rows(world.spreadsheetId)[1]).toEqual([day, want.attempts, want.successful, want.uniqueUsers]);
    expect(await runsOf(world, second.workflowId)).toEqual([
      expect.objectContaining({ status: 'succeeded', fetched: 400, inserted: 0, duplicates: 400, rejected: 0 }),
    ]);
    expect(await runsOf(world, first.workflowId)).toEqual([
      expect.objectContaining({ status: 'succeeded', fetched: 400, inserted: 400, duplicates: 0 }),
    ]);
  });

  it('keeps malformed records in etl_rejected with reasons and loads the rest', async () => {
    const day = '2023-03-05';
    const world = await etlWorld({ days: [day], recordsPerDay: 300, seed: 'malformed', malformedEvery: 6 });
    const want = world.itresume.expected(day);
    expect(want.malformed).toBe(50);

    const run = await runEtl(world, { start: day, lookbackHours: 0 });
    expect(run.error).toBeUndefined();
    expect(run.result!.windows[0]).toMatchObject({ fetched: 300, inserted: want.attempts, rejected: 50 });
    expect(await attemptsOn(world.pool, day)).toBe(want.attempts);
    expect(run.result!.days[0]).toEqual({
      date: day,
      attempts: want.attempts,
      successful: want.successful,
      uniqueUsers: want.uniqueUsers,
    });

    const [runRow] = await runsOf(world, run.workflowId);
    const { rows } = await world.pool.query<{ raw: string; reason: string }>(
      'select raw, reason from etl_rejected where run_id = $1',
      [runRow!.id],
    );
    expect(rows).toHaveLength(50);
    const reasons = rows.map((r) => r.reason);
    for (const pattern of [
      /^passback_params: /,
      /^lti_user_id is not 32 hex/,
      /^is_correct must be null for a run/,
      /^attempt_type "debug"/,
      /^created_at is not/,
    ]) {
      expect(reasons.filter((r) => pattern.test(r))).toHaveLength(10);
    }
    // The raw record is kept as received.
    const broken = rows.find((r) => r.reason.startsWith('passback_params'))!;
    expect(JSON.parse(broken.raw)).toMatchObject({
      passback_params: "{'oauth_consumer_key': '', 'lis_result_sourcedid': 'unterminated}",
    });
  });

  it('keeps records holding U+0000 or lone surrogates (escaped or raw) in etl_rejected, on a first load and a re-run', async () => {
    const day = '2023-03-17';
    const world = await etlWorld({ days: [day], recordsPerDay: 140, seed: 'nul', hostileEvery: 5 });
    const want = world.itresume.expected(day);
    expect(want).toMatchObject({ hostile: 28, malformed: 0, total: 140 });
    const start = Date.parse(`${day}T00:00:00Z`) * 1000;
    const hostile = [...world.itresume.generator.between(start, start + 86_400_000_000)].filter((r) => r.hostile);
    expect(new Set(hostile.map((r) => r.hostile))).toEqual(new Set(HOSTILE_KINDS));
    // The reply really carries them both ways: \u0000 escapes, and raw NUL bytes.
    const sent = hostile.map(renderRecord).join('');
    expect(sent).toContain('\\u0000');
    expect(sent).toContain('\u0000');

    const reasons: Record<HostileKind, RegExp> = {
      'nul-python-escape': /^passback_params: lis_result_sourcedid holds U\+0000, which PostgreSQL cannot store$/,
      'nul-json-escape': /^passback_params: oauth_consumer_key holds U\+0000, which PostgreSQL cannot store$/,
      'nul-extra-param': /^passback_params: extra_params\["note"\] holds U\+0000, which PostgreSQL cannot store$/,
      'lone-surrogate': /^passback_params: lis_outcome_service_url holds a lone surrogate \(U\+DC00\), which/,
      'nul-raw-passback':
        /^not valid JSON: Bad control character in string literal .*; raw held U\+0000, stored as \\u0000$/,
      'nul-raw-user':
        /^not valid JSON: Bad control character in string literal .*; raw held U\+0000, stored as \\u0000$/,
      'nul-attempt-type': /^attempt_type "(run|submit)\\u0000" is not run\|submit$/,
    };
    // The first load of the day goes straight into etl_attempts, the re-run through the staging table.
    for (const pass of ['direct', 'staged']) {
      const run = await runEtl(world, { start: day, lookbackHours: 0 });
      expect(run.error, pass).toBeUndefined();
      const inserted = pass === 'direct' ? want.attempts : 0;
      const counts = { fetched: 140, inserted, duplicates: want.attempts - inserted, rejected: 28 };
      expect(run.result!.windows[0], pass).toMatchObject(counts);
      expect(await runsOf(world, run.workflowId)).toEqual([
        expect.objectContaining({ status: 'succeeded', ...counts }),
      ]);
      expect(await attemptsOn(world.pool, day)).toBe(want.attempts);
      expect(run.result!.days[0]).toEqual({
        date: day,
        attempts: want.attempts,
        successful: want.successful,
        uniqueUsers: want.uniqueUsers,
      });
    }

    // Each kept once, as sent: the JSON text of the record (a raw NUL spelled \u0000), with its reason.
    const { rows } = await world.pool.query<{ raw: string; reason: string }>(
      `select raw, reason from etl_rejected where raw like $1`,
      [`%"created_at":"${day} %`],
    );
    expect(rows).toHaveLength(28);
    for (const r of hostile) {
      const { malformed: _m, hostile: kind, ...item } = r;
      const row = rows.find((x) => x.raw === JSON.stringify(item));
      expect(row, JSON.stringify(item)).toBeDefined();
      expect(JSON.parse(row!.raw)).toEqual(item);
      expect(row!.reason).toMatch(reasons[kind!]);
    }
  });

  it('absorbs a record the API sends twice in one reply (the key, not the row count, decides)', async () => {
    const day = '2023-03-07';
    const world = await etlWorld({ days: [day], recordsPerDay: 100, seed: 'repeats', repeatEvery: 10 });
    const want = world.itresume.expected(day);
    expect(want).toMatchObject({ attempts: 100, repeated: 10 });
    const run = await runEtl(world, { start: day, lookbackHours: 0 });
    expect(run.error).toBeUndefined();
    expect(run.result!.windows[0]).toMatchObject({ fetched: 110, inserted: 100, duplicates: 10, rejected: 0 });
    expect(await attemptsOn(world.pool, day)).toBe(100);
  });

  it('retries 5xx (honouring Retry-After) and recovers', async () => {
    const day = '2023-03-09';
    const world = await etlWorld({ days: [day], recordsPerDay: 50, seed: 'flaky' });
    world.itresume.faults.add({
      path: '/api/statistics',
      times: 2,
      fault: { kind: 'status', status: 503, retryAfter: 1, message: 'maintenance' },
    });
    const run = await runEtl(world, { start: day, lookbackHours: 0 });
    expect(run.error).toBeUndefined();
    expect(world.itresume.requests.map((r) => r.status)).toEqual([503, 503, 200]);
    const gaps = world.itresume.requests.slice(1).map((r, i) => r.at - world.itresume.requests[i]!.at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(900);
    expect(await attemptsOn(world.pool, day)).toBe(50);
    expect(world.smtp.messages.some((m) => m.subject?.includes('FAILED'))).toBe(false);
  });

  it('fails clearly on a 4xx without retrying, and sends a failure e-mail', async () => {
    const day = '2023-03-11';
    const world = await etlWorld({ days: [day], seed: 'denied', env: { ITRESUME_CLIENT_KEY: 'wrong-key' } });
    const run = await runEtl(world, { start: day, lookbackHours: 0 });
    expect(run.error).toBeInstanceOf(WorkflowFailedError);
    expect(rootCause(run.error)).toMatchObject({ type: 'AuthRevoked', message: expect.stringContaining('403') });
    expect(world.itresume.requests).toHaveLength(1);
    const mail = await world.smtp.waitFor((m) => m.subject?.includes('FAILED') ?? false);
    expect(mail.subject).toBe(`Ferry daily ETL FAILED for ${day}`);
    expect(mail.text).toContain('IT Resume API answered 403: {"client_key":"Invalid client key"}');
    expect(await runsOf(world, run.workflowId)).toEqual([
      expect.objectContaining({ status: 'failed', error: expect.stringContaining('403') }),
    ]);
    const log = readFileSync(join(world.logDir, `${utcDay(Date.now())}.log`), 'utf8');
    expect(log).toMatch(/ERROR .*download \+ load failed after .*403/);
  });

  it('fails clearly on an `errors` body (HTTP 200), and sends a failure e-mail', async () => {
    const day = '2023-03-13';
    const world = await etlWorld({ days: [day], seed: 'errors' });
    world.itresume.faults.add({
      path: '/api/statistics',
      fault: { kind: 'status', status: 200, message: 'Date range is too large' },
    });
    const run = await runEtl(world, { start: day, lookbackHours: 0 });
    expect(rootCause(run.error)).toMatchObject({
      type: 'InvalidInput',
      message: 'IT Resume API returned errors: Date range is too large',
    });
    expect(world.itresume.requests).toHaveLength(1);
    const mail = await world.smtp.waitFor((m) => m.subject?.includes('FAILED') ?? false);
    expect(mail.text).toContain('Date range is too large');
  });

  it('log retention: with logs of 5 days, only the last 3 remain after a run', async () => {
    const day = '2023-03-15';
    const world = await etlWorld({ days: [day], recordsPerDay: 10, seed: 'retention' });
    const today = Date.parse(`${utcDay(Date.now())}T00:00:00Z`);
    const names = [4, 3, 2, 1].map((n) => `${utcDay(today - n * 86_400_000)}.log`);
    for (const n of names) writeFileSync(join(world.logDir, n), 'an older run\n');
    const run = await runEtl(world, { start: day, lookbackHours: 0 });
    expect(run.error).toBeUndefined();
    const logs = readdirSync(world.logDir)
      .filter((n) => n.endsWith('.log'))
      .sort();
    expect(logs).toEqual([names[2], names[3], `${utcDay(today)}.log`]);
  });
});

describe('ETL API', () => {
  it('POST /etl-runs starts a backfill (202 + status_url); GET reports state and counts; bad input is a 400 naming the field', async () => {
    const taskQueue = uniqueTaskQueue('etl-api');
    const days = ['2023-03-20', '2023-03-21'];
    const world = await etlWorld({ days, recordsPerDay: 30, seed: 'api', env: { TEMPORAL_TASK_QUEUE: taskQueue } });
    const temporal = await testClient(world.config);
    const app = createApp({
      config: world.config,
      temporal,
      pool: world.pool,
      logger: createLogger({ level: 'silent' }),
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const post = (body: unknown) =>
      fetch(`${base}/etl-runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    try {
      const bad = await post({ start: '2023-02-30' });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: { code: 'invalid_request', details: [{ field: 'start' }] } });
      const reversed = await post({ start: '2023-03-21', end: '2023-03-20' });
      expect(
        ((await reversed.json()) as { error: { details: Array<{ field: string }> } }).error.details[0]!.field,
      ).toBe('end');
      expect((await post({ start: '2023-03-20', extra: 1 })).status).toBe(400);
      expect((await post({ start: '2023-03-01', end: '2023-13-01' })).status).toBe(400);
      expect((await fetch(`${base}/etl-runs/etl-run-00000000-0000-0000-0000-000000000000`)).status).toBe(404);

      const activities = createEtlActivities({
        config: world.config,
        logger: createLogger({ level: 'silent' }),
        pool: world.pool,
      });
      const state = await withWorker({ activities, taskQueue, config: world.config }, async () => {
        const res = await post({ start: days[0], end: days[1] });
        expect(res.status).toBe(202);
        const { id, status_url } = (await res.json()) as { id: string; status_url: string };
        expect(status_url).toBe(`${world.config.FERRY_PUBLIC_URL}/etl-runs/${id}`);
        await temporal.workflow.getHandle(id).result();
        return (await (await fetch(`${base}/etl-runs/${id}`)).json()) as Record<string, unknown>;
      });
      const want = days.map((d) => world.itresume.expected(d).attempts);
      expect(state).toMatchObject({
        status: 'COMPLETED',
        failure: null,
        windows: [
          { day: '2023-03-20', windowStart: '2023-03-19T21:00:00Z', status: 'succeeded', inserted: want[0] },
          { day: '2023-03-21', windowStart: '2023-03-21T00:00:00Z', status: 'succeeded', inserted: want[1] },
        ],
        totals: { inserted: want[0]! + want[1]!, duplicates: 0, rejected: 0 },
      });
      const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/etl-runs', '/etl-runs/{id}']));
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
