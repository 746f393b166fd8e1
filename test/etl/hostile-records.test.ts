// Records PostgreSQL cannot store as they are, on real PostgreSQL through the real splitter: U+0000
// (refused by text and by jsonb) and lone surrogates (refused by jsonb, silently turned into U+FFFD in
// text), sent escaped in the JSON, as Python escapes inside passback_params, or as raw bytes in the body.
// Each load path (the direct COPY into etl_attempts, the staged one) and each parse path (the fast
// whole-chunk JSON.parse, the careful scanner) must keep every such record in etl_rejected with a reason,
// load the rest, and store what it can store exactly as sent.
import { isDeepStrictEqual } from 'node:util';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadWindow } from '../../activities/db/etl-load';
import { beginRun, finishRun } from '../../activities/db/etl-runs';
import { storableText } from '../../activities/db/storable';
import { splitJsonArray } from '../../activities/itresume/json-array-stream';
import { createPool } from '../../lib/db';

const pool = createPool(inject('databaseUrl'));
afterAll(() => pool.end());

const NUL = '\u0000';
/** Where the body carries a raw NUL byte (invalid JSON) instead of the `\u0000` escape. */
const RAW_NUL = '<raw-nul>';
const hex = (n: number) => n.toString(16).padStart(32, '0');
const at = (day: string, i: number) => `${day} 11:00:${String(i).padStart(2, '0')}.000000`;
const params = "{'oauth_consumer_key': 'k', 'lis_result_sourcedid': 's', 'lis_outcome_service_url': 'u'}";
const record = (day: string, i: number, fields: Record<string, unknown> = {}) => ({
  lti_user_id: hex(i + 1),
  attempt_type: 'submit',
  is_correct: i % 2,
  created_at: at(day, i),
  passback_params: params,
  ...fields,
});

/** Text PostgreSQL can store, with the characters COPY's text format must escape. */
const ODD = {
  passback: String.raw`{'oauth_consumer_key': 'tab\there', 'lis_result_sourcedid': 'line\nbreak\rreturn \\N \\. back\\slash', 'lis_outcome_service_url': 'ctl\x01\x7f 😀 \uffff', 'note': '\\N\t\x1b', 'emoji': '😀'}`,
  stored: {
    oauth_consumer_key: 'tab\there',
    lis_result_sourcedid: 'line\nbreak\rreturn \\N \\. back\\slash',
    lis_outcome_service_url: 'ctl\x01\x7f 😀 \uffff',
    extra_params: { note: '\\N\t\x1b', emoji: '😀' },
  },
};

function hostileDay(day: string) {
  const good = Array.from({ length: 20 }, (_, i) => record(day, i));
  const odd = record(day, 20, { passback_params: ODD.passback });
  const escaped = (i: number, fields: Record<string, unknown>, reason: RegExp) => ({
    sent: record(day, i, fields),
    reason,
  });
  const hostile = [
    escaped(
      30,
      { passback_params: String.raw`{'oauth_consumer_key': 'k\x00', 'lis_result_sourcedid': 's'}` },
      /^passback_params: oauth_consumer_key holds U\+0000, which PostgreSQL cannot store$/,
    ),
    escaped(
      31,
      { passback_params: `{'lis_result_sourcedid': 'course${NUL}v1'}` },
      /^passback_params: lis_result_sourcedid holds U\+0000/,
    ),
    escaped(
      32,
      { passback_params: String.raw`{'lis_outcome_service_url': 'https://x/\ud800'}` },
      /^passback_params: lis_outcome_service_url holds a lone surrogate \(U\+D800\)/,
    ),
    escaped(
      33,
      { passback_params: String.raw`{'note': 'a\0b'}` },
      /^passback_params: extra_params\["note"\] holds U\+0000/,
    ),
    escaped(34, { passback_params: `{'k${NUL}': 1}` }, /^passback_params: extra_params key "k\\u0000" holds U\+0000/),
    escaped(
      35,
      { passback_params: `{'tags': ['ok', '\udc00']}` },
      /^passback_params: extra_params\["tags"\]\[1\] holds a lone surrogate \(U\+DC00\)/,
    ),
    escaped(36, { attempt_type: `run${NUL}` }, /^attempt_type "run\\u0000" is not run\|submit$/),
    escaped(37, { lti_user_id: `${hex(1).slice(1)}${NUL}` }, /^lti_user_id is not 32 hex digits$/),
    // Not a character problem, but as fatal: PostgreSQL has no year 0.
    escaped(
      38,
      { created_at: '0000-01-01 11:00:38.000000', passback_params: `{'day': '${day}'}` },
      /^created_at is not a UTC timestamp/,
    ),
  ];
  const RAW_NOTE = /^not valid JSON: .*; raw held U\+0000, stored as \\u0000$/;
  const raw = [
    { sent: record(day, 40, { passback_params: `{'oauth_consumer_key': 'k${RAW_NUL}'}` }), reason: RAW_NOTE },
    { sent: record(day, 41, { created_at: `${at(day, 41)}${RAW_NUL}` }), reason: RAW_NOTE },
  ];
  // A raw NUL between two items: the next item's text starts with it.
  const afterNul = record(day, 42);
  const items = [...good, odd, ...hostile.map((h) => h.sent), ...raw.map((r) => r.sent)];
  const texts = items.map((r) => JSON.stringify(r).replaceAll(RAW_NUL, NUL));
  texts.push(`${NUL}${JSON.stringify(afterNul)}`);
  const expectations = [
    ...hostile.map((h) => ({ reason: h.reason, raw: (text: string) => sameJson(text, h.sent) })),
    ...raw.map((r) => ({ reason: r.reason, raw: (text: string) => sameJson(text, withNul(r.sent)) })),
    { reason: RAW_NOTE, raw: (text: string) => text === `\\u0000${JSON.stringify(afterNul)}` },
  ];
  return { texts, good: good.length + 1, rejected: expectations, oddAt: odd.created_at };
}

const withNul = (r: object) => JSON.parse(JSON.stringify(r).replaceAll(RAW_NUL, '\\u0000')) as unknown;
const sameJson = (text: string, value: unknown) => {
  try {
    return isDeepStrictEqual(JSON.parse(text), value);
  } catch {
    return false;
  }
};

/** The body, cut either after each item (every valid item takes the fast path) or into 5-byte pieces. */
function body(texts: string[], cut: 'per-item' | 'tiny') {
  const whole = Buffer.from(`[${texts.join(',')}]`);
  const parts: Buffer[] = [];
  if (cut === 'tiny') for (let i = 0; i < whole.length; i += 5) parts.push(whole.subarray(i, i + 5));
  else parts.push(...texts.map((t, i) => Buffer.from(`${i ? '' : '['}${t}${i === texts.length - 1 ? ']' : ','}`)));
  return () =>
    splitJsonArray(
      (async function* () {
        yield* parts;
      })(),
    );
}

const runFor = (day: string) =>
  beginRun(pool, {
    workflowId: `hostile-${randomUUID()}`,
    trigger: 'manual',
    windowStart: `${day}T00:00:00Z`,
    windowEnd: `${day}T23:59:59.999Z`,
  });

describe('loadWindow with records PostgreSQL cannot store as they are', () => {
  it.each([
    ['direct', 'per-item', '2031-02-01'],
    ['direct', 'tiny', '2031-02-02'],
    ['staged', 'per-item', '2031-02-03'],
    ['staged', 'tiny', '2031-02-04'],
  ] as const)('%s load, body cut %s: rejected with reasons, the rest stored exactly', async (path, cut, day) => {
    const sent = hostileDay(day);
    if (path === 'staged') {
      // A row already in the window sends the load through the staging table.
      const pre = body([JSON.stringify(record(day, 0))], 'per-item');
      expect(await loadWindow(pool, await runFor(day), pre)).toMatchObject({ inserted: 1 });
    }
    const runId = await runFor(day);
    const counts = await loadWindow(pool, runId, body(sent.texts, cut));
    expect(counts).toMatchObject({
      fetched: sent.texts.length,
      inserted: path === 'staged' ? sent.good - 1 : sent.good,
      duplicates: path === 'staged' ? 1 : 0,
      rejected: sent.rejected.length,
    });
    expect(counts.fetched).toBe(counts.inserted + counts.duplicates + counts.rejected);

    const { rows } = await pool.query<{ raw: string; reason: string }>(
      'select raw, reason from etl_rejected where run_id = $1',
      [runId],
    );
    expect(rows).toHaveLength(sent.rejected.length);
    for (const want of sent.rejected) {
      expect(
        rows.filter((r) => want.reason.test(r.reason) && want.raw(r.raw)),
        `${want.reason}\n${JSON.stringify(rows, null, 1)}`,
      ).toHaveLength(1);
    }

    const stored = await pool.query(
      `select oauth_consumer_key, lis_result_sourcedid, lis_outcome_service_url, extra_params
         from etl_attempts where created_at = $1`,
      [sent.oddAt],
    );
    expect(stored.rows).toEqual([ODD.stored]);
  });
});

describe('loadWindow with items over the size limit', () => {
  it('keeps the first 1 MiB of each in etl_rejected, and holds no more than 16 MiB of them in memory', async () => {
    const day = '2031-02-05';
    const MiB = 1 << 20;
    // Each 1.1 MiB, with its own head (rejected rows are stored once per raw text).
    const big = Array.from({ length: 17 }, (_, i) =>
      JSON.stringify({ ...record(day, i), note: `${day}#${i}:${'x'.repeat(MiB + MiB / 10)}` }),
    );
    const whole = Buffer.from(`[${[...big, JSON.stringify(record(day, 40))].join(',')}]`);
    let opened = 0;
    const open = () => {
      opened++;
      return splitJsonArray(
        (async function* () {
          for (let i = 0; i < whole.length; i += 64 * 1024) yield whole.subarray(i, i + 64 * 1024);
        })(),
      );
    };
    const runId = await runFor(day);
    expect(await loadWindow(pool, runId, open)).toMatchObject({ fetched: 18, inserted: 1, rejected: 17 });
    // 17 held rejects of 1 MiB pass the direct load's 16 MiB bound: it went the staged way instead.
    expect(opened).toBe(2);
    const { rows } = await pool.query<{ raw: string; reason: string }>(
      'select raw, reason from etl_rejected where run_id = $1 order by raw',
      [runId],
    );
    expect(rows).toHaveLength(17);
    for (const row of rows) {
      const sent = big.find((b) => b.startsWith(row.raw))!;
      expect(row.raw).toHaveLength(MiB);
      expect(row.reason).toBe(
        `item is ${sent.length} bytes, over the ${MiB}-byte limit: raw holds its first ${MiB} bytes`,
      );
    }
  });
});

describe('storableText', () => {
  it('spells U+0000 and lone surrogates as \\uXXXX, keeps pairs and everything else', () => {
    expect(storableText('a\u0000b\ud800c\udc00d😀e\\u0000')).toBe('a\\u0000b\\ud800c\\udc00d😀e\\u0000');
    expect(storableText('\udbff\udfff\ud83d')).toBe('\udbff\udfff\\ud83d');
    const plain = 'tab\tnewline\n\x01\uffff';
    expect(storableText(plain)).toBe(plain);
  });
});

describe('finishRun', () => {
  it("stores a failure that quotes the API's U+0000 and lone surrogates, escaped", async () => {
    const runId = await runFor('2031-02-06');
    await finishRun(pool, runId, 'failed', 'IT Resume API returned errors: bad\u0000range \ud800');
    const { rows } = await pool.query('select status, error from etl_runs where id = $1', [runId]);
    expect(rows).toEqual([{ status: 'failed', error: 'IT Resume API returned errors: bad\\u0000range \\ud800' }]);
  });
});
