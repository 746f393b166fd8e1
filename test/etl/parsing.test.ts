// The ETL's pure parts: passback_params (Python literals, never eval), record validation, the
// streaming JSON array splitter, and log retention.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pruneLogs } from '../../activities/etl-log/retention';
import { splitJsonArray, type StreamItem } from '../../activities/itresume/json-array-stream';
import { parsePassbackParams, parsePythonLiteral } from '../../activities/itresume/passback-params';
import { validateRecord } from '../../activities/itresume/record';
import { dayWindow, rangeProblems, runDays } from '../../lib/etl-windows';

describe('passback_params parser', () => {
  it('reads the Python dict literals IT Resume sends', () => {
    expect(
      parsePassbackParams(
        "{'oauth_consumer_key': '', 'lis_result_sourcedid': 'course-v1:SkillFactory+DST-3.0:lms-1', 'lis_outcome_service_url': 'https://x/grade_handler'}",
      ),
    ).toEqual({
      oauth_consumer_key: '',
      lis_result_sourcedid: 'course-v1:SkillFactory+DST-3.0:lms-1',
      lis_outcome_service_url: 'https://x/grade_handler',
    });
    expect(
      parsePassbackParams(`{"a": "it's", 'b': 'say \\'hi\\'', 'c': None, 'd': True, 'e': False, 'f': -1.5e3}`),
    ).toEqual({
      a: "it's",
      b: "say 'hi'",
      c: null,
      d: true,
      e: false,
      f: -1500,
    });
    expect(parsePythonLiteral(`{'t': (1, 2,), 'l': [], 'n': {'x': 'a\\nb\\x41\\u00e9\\U0001F600\\d'}}`)).toEqual({
      t: [1, 2],
      l: [],
      n: { x: 'a\nbAé😀\\d' },
    });
    expect(parsePassbackParams('{}')).toEqual({});
  });

  it('refuses anything that is not a literal — code is never evaluated', () => {
    for (const bad of [
      "__import__('os').system('echo pwned')",
      "{'a': __import__('os')}",
      "{'a': 'unterminated}",
      "{'a' 'b'}",
      "{'a': 1,,}",
      "{'a': 1} trailing",
      "['not', 'a', 'dict']",
      "{'a': lambda: 1}",
      '',
    ]) {
      expect(() => parsePassbackParams(bad), bad).toThrow();
    }
  });
});

describe('passback_params parser on hostile input', () => {
  it('reads strings between, around and inside the other quote, and says where a string breaks', () => {
    expect(parsePythonLiteral(`{'a': "x'y", "b": 'z"w', 'c': 'line\\\ncontinued', 'd': "\\"'"}`)).toEqual({
      a: "x'y",
      b: 'z"w',
      c: 'linecontinued',
      d: `"'`,
    });
    expect(() => parsePythonLiteral("{'a': 'one\ntwo'}")).toThrow('unterminated string at offset 10');
    expect(() => parsePythonLiteral("{'a': 'x\\ty")).toThrow('unterminated string at offset 10');
    expect(() => parsePythonLiteral("{'a': 'x\\")).toThrow('unterminated escape at offset 8');
  });

  // Linear work grows ~4x when the text does; the quadratic scanner this replaces grew 16-40x (seconds
  // for 1 MB of escapes, minutes for 4 MB). A ratio of CPU times, each the best of three, so neither a slow
  // machine nor other processes on it can fail the test; a deadline bounds the run when it is quadratic.
  const LIMIT = 8;
  const cpuTimeOf = (text: string) => {
    const started = process.cpuUsage();
    parsePythonLiteral(text);
    const used = process.cpuUsage(started);
    return (used.user + used.system) / 1000;
  };
  const growth = (make: (megabytes: number) => string) => {
    const [small, large] = [make(1), make(4)];
    const deadline = performance.now() + 20_000;
    const bestOf3 = (text: string) => {
      let best = Infinity;
      for (let i = 0; i < 3 && (i === 0 || performance.now() < deadline); i++) best = Math.min(best, cpuTimeOf(text));
      return best;
    };
    let ratio = Infinity;
    for (let attempt = 0; attempt < 3 && ratio >= LIMIT && performance.now() < deadline; attempt++) {
      ratio = Math.min(ratio, bestOf3(large) / Math.max(bestOf3(small), 0.5));
    }
    return ratio;
  };

  it.each([
    ['one string of escapes', (mb: number) => `{'k': '${'\\n'.repeat(mb * 500_000)}'}`],
    ['many short strings', (mb: number) => `{${"'k': 'v', ".repeat(mb * 100_000)}}`],
  ])('parses %s in time linear in its length', (_shape, make) => {
    expect(make(1).length).toBeGreaterThanOrEqual(1_000_000);
    expect(growth(make)).toBeLessThan(LIMIT);
  });
});

describe('record validation', () => {
  const good = {
    lti_user_id: '0123456789abcdef0123456789ABCDEF',
    passback_params: "{'oauth_consumer_key': '', 'lis_result_sourcedid': 's1', 'extra': 2}",
    is_correct: null,
    attempt_type: 'run',
    created_at: '2023-05-31 09:16:11.313646',
  };

  it('accepts valid runs and submits and normalises them', () => {
    const v = validateRecord(good);
    expect(v).toMatchObject({
      ok: true,
      attempt: {
        ltiUserId: '0123456789abcdef0123456789abcdef',
        attemptType: 'run',
        isCorrect: null,
        createdAt: '2023-05-31 09:16:11.313646',
        oauthConsumerKey: '',
        lisResultSourcedid: 's1',
        lisOutcomeServiceUrl: null,
        extraParams: { extra: 2 },
      },
    });
    expect(
      validateRecord({ ...good, attempt_type: 'submit', is_correct: 1, created_at: '2023-05-31 09:16:11' }),
    ).toMatchObject({
      ok: true,
      attempt: { isCorrect: 1, createdAt: '2023-05-31 09:16:11.000000' },
    });
    expect(validateRecord({ ...good, passback_params: null })).toMatchObject({ ok: true });
  });

  it('says why a record is bad', () => {
    const reason = (r: object) => {
      const v = validateRecord(r);
      return v.ok ? 'ok' : v.reason;
    };
    expect(reason({ ...good, lti_user_id: 'xyz' })).toMatch(/lti_user_id/);
    expect(reason({ ...good, attempt_type: 'debug' })).toMatch(/attempt_type "debug"/);
    expect(reason({ ...good, is_correct: 1 })).toMatch(/null for a run/);
    expect(reason({ ...good, attempt_type: 'submit', is_correct: null })).toMatch(/0 or 1/);
    expect(reason({ ...good, attempt_type: 'submit', is_correct: 2 })).toMatch(/0 or 1/);
    expect(reason({ ...good, created_at: '2023-02-30 10:00:00' })).toMatch(/created_at/);
    expect(reason({ ...good, created_at: 'yesterday' })).toMatch(/created_at/);
    // The API's own 26-character form is checked as strictly as any other.
    for (const bad of [
      '2023-02-30 10:00:00.000000',
      '2023-05-31 24:00:00.000000',
      '2023-13-01 10:00:00.000000',
      // PostgreSQL has no year 0: the COPY would refuse it, and the whole window with it.
      '0000-01-01 10:00:00.000000',
      '0000-01-01 10:00:00',
    ]) {
      expect(reason({ ...good, created_at: bad }), bad).toMatch(/created_at/);
    }
    expect(reason({ ...good, created_at: '2023-05-31 09:6:11.3136460' })).toMatch(/created_at/);
    expect(reason({ ...good, created_at: '2024-02-29 23:59:59.999999' })).toBe('ok');
    const t = validateRecord({ ...good, created_at: '2023-05-31T09:16:11.313646' });
    expect(t.ok && t.attempt.createdAt).toBe('2023-05-31 09:16:11.313646');
    expect(reason({ ...good, passback_params: "{'a': " })).toMatch(/passback_params/);
    expect(reason({ ...good, passback_params: 42 })).toMatch(/passback_params/);
    expect(reason([1, 2])).toMatch(/not a JSON object/);
  });
});

async function collect(chunks: string[], options: { maxItemBytes?: number } = {}): Promise<StreamItem[]> {
  const out: StreamItem[] = [];
  async function* source() {
    for (const c of chunks) yield Buffer.from(c);
  }
  for await (const batch of splitJsonArray(source(), options)) out.push(...batch);
  return out;
}

describe('streaming JSON array splitter', () => {
  const items = [{ a: 'x]},{"', b: [1, { c: '\\"' }] }, { é: 'ünï 😀', n: null }, 7, 'str,]', null, { last: true }];
  const text = ` [ ${items.map((i) => JSON.stringify(i)).join(' ,\n')} ] `;

  it('yields the same items whatever the chunk boundaries', async () => {
    const bytes = Buffer.from(text);
    for (const size of [1, 2, 3, 7, 64, bytes.length]) {
      // Split on byte boundaries (even inside a multi-byte character) to mimic a network.
      const parts: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
      async function* source() {
        for (const p of parts) yield p;
      }
      const got: unknown[] = [];
      for await (const batch of splitJsonArray(source())) {
        for (const item of batch) got.push(item.kind === 'item' ? item.value : item);
      }
      expect(got, `chunk size ${size}`).toEqual(items);
    }
  });

  it('keeps an invalid item as bad-item, reports an object reply, and flags truncation', async () => {
    const bad = await collect(['[{"a":1},{"b":tru},{"c":3}]']);
    expect(bad.map((i) => i.kind)).toEqual(['item', 'bad-item', 'item']);
    expect(bad[1]).toMatchObject({ raw: '{"b":tru}' });
    expect(await collect(['{"errors": ', '{"client_key": "bad"}}'])).toEqual([
      { kind: 'object', value: { errors: { client_key: 'bad' } } },
    ]);
    expect(await collect(['[]'])).toEqual([]);
    await expect(collect(['[{"a":1},{"b"'])).rejects.toMatchObject({ truncated: true });
    await expect(collect(['<html>'])).rejects.toMatchObject({ truncated: false });
    await expect(collect(['[1] x'])).rejects.toMatchObject({ truncated: false });
  });

  it('keeps the head of an item over the size limit as oversize-item and goes on with the next', async () => {
    const big = JSON.stringify({ note: 'x'.repeat(300), nested: [{ q: '"]},' }] });
    const text = `[{"a":1},${big},"${'s'.repeat(200)}",{"b":2}]`;
    // Cut small, so the big items span chunks and neither ever sits whole in one.
    const chunks = text.match(/[^]{1,16}/g)!;
    const items = await collect(chunks, { maxItemBytes: 64 });
    expect(items).toEqual([
      expect.objectContaining({ kind: 'item', value: { a: 1 } }),
      { kind: 'oversize-item', head: big.slice(0, 64), bytes: big.length, limit: 64 },
      { kind: 'oversize-item', head: `"${'s'.repeat(63)}`, bytes: 202, limit: 64 },
      expect.objectContaining({ kind: 'item', value: { b: 2 } }),
    ]);
  });
});

describe('windows', () => {
  it('loads yesterday by default, a range inclusively, with the lookback on the first window', () => {
    expect(runDays({}, new Date('2024-10-09T03:00:00Z'))).toEqual(['2024-10-08']);
    expect(runDays({ start: '2024-10-01', end: '2024-10-03' }, new Date())).toEqual([
      '2024-10-01',
      '2024-10-02',
      '2024-10-03',
    ]);
    expect(dayWindow('2024-10-08', 3)).toEqual({
      day: '2024-10-08',
      start: '2024-10-07T21:00:00.000Z',
      end: '2024-10-09T00:00:00.000Z',
    });
    expect(rangeProblems({ start: '2024-02-30' }, '2024-10-09')).toEqual([
      { field: 'start', message: expect.any(String) },
    ]);
    expect(rangeProblems({ start: '2024-01-01', end: '2024-13-01' }, '2024-10-09')).toEqual([
      { field: 'end', message: expect.any(String) },
    ]);
    expect(rangeProblems({ start: 'yesterday' }, '2024-10-09')[0]?.field).toBe('start');
    expect(rangeProblems({ start: '2024-10-05', end: '2024-10-01' }, '2024-10-09')[0]?.field).toBe('end');
    expect(rangeProblems({ start: '2024-10-10' }, '2024-10-09')[0]?.field).toBe('start');
    expect(rangeProblems({ end: '2024-10-01' }, '2024-10-09')[0]?.field).toBe('start');
  });

  it('checks the 400-day limit by arithmetic, before building any list of days', () => {
    // 2024-01-01 + 399 days = 2025-02-03: exactly 400 days is allowed, one more is not.
    expect(rangeProblems({ start: '2024-01-01', end: '2025-02-03' }, '2026-01-01')).toEqual([]);
    expect(rangeProblems({ start: '2024-01-01', end: '2025-02-04' }, '2026-01-01')).toEqual([
      { field: 'end', message: 'a run covers at most 400 days' },
    ]);
    // A start of 0000-01-01 once walked ~740k days to find out; count the date arithmetic it does now.
    const parse = Date.parse;
    let calls = 0;
    Date.parse = (text: string) => {
      calls++;
      return parse(text);
    };
    try {
      expect(rangeProblems({ start: '0000-01-01', end: '2026-01-01' }, '2026-01-01')).toEqual([
        { field: 'end', message: 'a run covers at most 400 days' },
      ]);
    } finally {
      Date.parse = parse;
    }
    expect(calls).toBeLessThan(10);
  });
});

describe('log retention', () => {
  it('keeps the last LOG_RETENTION_DAYS days of logs, whoever wrote them, and nothing else is touched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-etl-logs-'));
    const now = new Date('2026-11-23T10:00:00Z');
    for (const day of ['2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23']) {
      writeFileSync(join(dir, `${day}.log`), 'x\n');
    }
    writeFileSync(join(dir, '2024-10-08.txt'), 'the seed script wrote this\n');
    writeFileSync(join(dir, 'notes.md'), 'not a log\n');
    const removed = await pruneLogs(dir, 3, now);
    expect(removed).toEqual(['2024-10-08.txt', '2026-11-19.log', '2026-11-20.log']);
    expect(readdirSync(dir).sort()).toEqual(['2026-11-21.log', '2026-11-22.log', '2026-11-23.log', 'notes.md']);
  });
});
