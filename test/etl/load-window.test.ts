// loadWindow's two ways in, on real PostgreSQL: a window with no rows yet is COPYed straight into
// etl_attempts; one that overlaps loaded rows goes through the staging table. A direct load that meets a
// duplicate (the API repeating a record) or too many rejected items falls back to the staged way, so
// neither ever stores a row twice or loses a rejected item.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadWindow, type StageClock } from '../../activities/db/etl-load';
import { beginRun } from '../../activities/db/etl-runs';
import { fetchStatistics } from '../../activities/itresume/client';
import type { StreamItem } from '../../activities/itresume/json-array-stream';
import { createPool } from '../../lib/db';
import { startItResumeFake } from '../../fakes/itresume';

const pool = createPool(inject('databaseUrl'));
afterAll(() => pool.end());

const hex = (n: number) => n.toString(16).padStart(32, '0');
/** A valid submit on `day` at second `i`, unique per (day, i). */
const record = (day: string, i: number) => ({
  lti_user_id: hex(i + 1),
  attempt_type: 'submit',
  is_correct: i % 2,
  created_at: `${day} 10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000000`,
  passback_params: "{'oauth_consumer_key': 'k', 'lis_result_sourcedid': 's', 'lis_outcome_service_url': 'u'}",
});

/** The items as the splitter yields them, in batches; counts how often the stream was opened. */
function source(values: unknown[]) {
  const opened = { count: 0 };
  const open = () => {
    opened.count += 1;
    return (async function* (): AsyncGenerator<StreamItem[]> {
      for (let i = 0; i < values.length; i += 100) {
        yield values.slice(i, i + 100).map((value) => ({ kind: 'item', value }) as StreamItem);
      }
    })();
  };
  return { open, opened };
}

async function runFor(day: string) {
  return beginRun(pool, {
    workflowId: `load-window-${randomUUID()}`,
    trigger: 'manual',
    windowStart: `${day}T00:00:00Z`,
    windowEnd: `${day}T23:59:59.999Z`,
  });
}

const rowsOn = async (day: string) =>
  Number(
    (
      await pool.query<{ n: string }>(
        `select count(*) as n from etl_attempts where created_at >= $1::date and created_at < $1::date + 1`,
        [day],
      )
    ).rows[0]!.n,
  );

const rejectedOf = async (runId: number) =>
  Number(
    (await pool.query<{ n: string }>('select count(*) as n from etl_rejected where run_id = $1', [runId])).rows[0]!.n,
  );

describe('loadWindow', () => {
  it('copies an empty window straight in, and stages a window that already has rows', async () => {
    const day = '2031-01-05';
    const first = source([
      ...Array.from({ length: 500 }, (_, i) => record(day, i)),
      { attempt_type: 'nope', tag: randomUUID() },
    ]);
    const firstRun = await runFor(day);
    expect(await loadWindow(pool, firstRun, first.open)).toMatchObject({
      fetched: 501,
      inserted: 500,
      duplicates: 0,
      rejected: 1,
    });
    expect(first.opened.count).toBe(1);
    expect(await rowsOn(day)).toBe(500);
    expect(await rejectedOf(firstRun)).toBe(1);

    // The same records and 100 new ones: only the new ones go in.
    const again = source(Array.from({ length: 600 }, (_, i) => record(day, i)));
    expect(await loadWindow(pool, await runFor(day), again.open)).toMatchObject({
      fetched: 600,
      inserted: 100,
      duplicates: 500,
    });
    expect(again.opened.count).toBe(1);
    expect(await rowsOn(day)).toBe(600);
  });

  it('falls back to the staged load when the API repeats a record in an empty window', async () => {
    const day = '2031-01-06';
    const values = Array.from({ length: 300 }, (_, i) => record(day, i));
    values.push(record(day, 42));
    const s = source(values);
    expect(await loadWindow(pool, await runFor(day), s.open)).toMatchObject({
      fetched: 301,
      inserted: 300,
      duplicates: 1,
    });
    expect(s.opened.count).toBe(2);
    expect(await rowsOn(day)).toBe(300);
  });

  it('falls back to the staged load when a direct load would hold too many rejected items', async () => {
    const day = '2031-01-07';
    const tag = randomUUID(); // rejected items are stored once per raw text: these are this run's own
    const values: unknown[] = Array.from({ length: 10_001 }, (_, i) => ({ bad: i, tag }));
    values.push(record(day, 1));
    const s = source(values);
    const runId = await runFor(day);
    expect(await loadWindow(pool, runId, s.open)).toMatchObject({ fetched: 10_002, inserted: 1, rejected: 10_001 });
    expect(s.opened.count).toBe(2);
    expect(await rowsOn(day)).toBe(1);
    expect(await rejectedOf(runId)).toBe(10_001);
  });

  it('splits its time into download, parse and COPY, which add up to the load time', async () => {
    const day = '2031-01-08';
    const values = Array.from({ length: 6000 }, (_, i) => record(day, i));
    const WAIT_MS = 40;
    // A source that waits on its "network" before each batch and says so, as fetchStatistics does.
    const open = (clock: StageClock) =>
      (async function* (): AsyncGenerator<StreamItem[]> {
        for (let i = 0; i < values.length; i += 1000) {
          const asked = performance.now();
          await new Promise((r) => setTimeout(r, WAIT_MS));
          clock.networkMs += performance.now() - asked;
          yield values.slice(i, i + 1000).map((value) => ({ kind: 'item', value }) as StreamItem);
        }
      })();
    const counts = await loadWindow(pool, await runFor(day), open);
    const stages = counts.stages!;
    expect(stages.downloadMs).toBeGreaterThanOrEqual(6 * WAIT_MS - 6);
    expect(stages.parseMs).toBeGreaterThan(0);
    expect(stages.copyMs).toBeGreaterThanOrEqual(0);
    expect(Math.abs(stages.downloadMs + stages.parseMs + stages.copyMs - counts.loadMs)).toBeLessThanOrEqual(1);
  });
});

describe('fetchStatistics', () => {
  it('adds the time it waits on the network to the clock it is given', async () => {
    const fake = await startItResumeFake({ days: ['2031-01-09'], recordsPerDay: 50 });
    try {
      fake.faults.add({ fault: { kind: 'delay', ms: 150 } });
      const clock = { networkMs: 0 };
      let items = 0;
      const window = { start: new Date('2031-01-09T00:00:00Z'), end: new Date('2031-01-10T00:00:00Z') };
      const creds = { baseUrl: fake.url, client: fake.client, clientKey: fake.clientKey };
      for await (const batch of fetchStatistics(creds, window, undefined, clock)) items += batch.length;
      expect(items).toBe(50);
      expect(clock.networkMs).toBeGreaterThanOrEqual(145);
    } finally {
      await fake.close();
    }
  });
});
