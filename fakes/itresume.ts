// A faithful stand-in for IT Resume's statistics API (GET /api/statistics?client=&client_key=&start=&end=,
// UTC `YYYY-MM-DD HH:MM:SS.ffffff`, one interval -> one JSON array, `{"errors": ...}` on a problem).
// Records are generated deterministically from (seed, day, index), so a test knows the expected
// figures without the fake keeping them, and a million records stream out with flat memory.
// Bad data on request: `malformedEvery` (records that fail validation), `hostileEvery` (records holding
// U+0000 or lone surrogates, escaped or as raw bytes: HOSTILE_KINDS), `repeatEvery` (a record sent twice).
// Fault injection (faults.ts): a `status` fault answers that status with an `errors` body (status 200
// gives the "200 + errors" reply), `retryAfter` adds Retry-After; `delay` holds a request; `drop` cuts it.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultInjector } from './faults';
import { listen, queryObject, sendJson } from './http-kit';

export type MalformedKind = 'broken-passback' | 'bad-id' | 'inconsistent' | 'unknown-type' | 'bad-date';
export const MALFORMED_KINDS: MalformedKind[] = [
  'broken-passback',
  'bad-id',
  'inconsistent',
  'unknown-type',
  'bad-date',
];

/**
 * Records holding what PostgreSQL cannot store (U+0000, a lone surrogate), in several fields: escaped in
 * the JSON (`\u0000`), as Python escapes inside passback_params, or as raw NUL bytes in the body (which
 * makes the item invalid JSON, as a careless producer would send it).
 */
export type HostileKind =
  | 'nul-python-escape'
  | 'nul-json-escape'
  | 'nul-extra-param'
  | 'lone-surrogate'
  | 'nul-raw-passback'
  | 'nul-raw-user'
  | 'nul-attempt-type';
export const HOSTILE_KINDS: HostileKind[] = [
  'nul-python-escape',
  'nul-json-escape',
  'nul-extra-param',
  'lone-surrogate',
  'nul-raw-passback',
  'nul-raw-user',
  'nul-attempt-type',
];

export interface ItResumeFakeOptions {
  client?: string;
  clientKey?: string;
  /** Records per UTC day (default 200). */
  recordsPerDay?: number;
  /** Distinct users the records are spread over (default 50). */
  users?: number;
  seed?: string;
  /** Every Nth record of a day is malformed (cycling through MALFORMED_KINDS); 0 = none (default). */
  malformedEvery?: number;
  /**
   * Every Nth record of a day holds U+0000 or a lone surrogate (cycling through HOSTILE_KINDS); 0 = none
   * (default). A record that is also due to be malformed stays malformed.
   */
  hostileEvery?: number;
  /** Every Nth record of a day is sent twice in the same reply (0 = never, the default). */
  repeatEvery?: number;
  /** Only these days have records (YYYY-MM-DD); default: every day. */
  days?: string[];
  /**
   * Render each distinct reply once into this directory and stream it from disk afterwards — for the
   * benchmark, so generating a million records does not compete with Ferry for the CPU.
   */
  cacheDir?: string;
}

export interface Record_ {
  lti_user_id: string | null;
  passback_params: string | null;
  is_correct: number | null;
  attempt_type: string;
  created_at: string;
}

type Generated = Record_ & { malformed?: MalformedKind; hostile?: HostileKind };

const DAY_US = 86_400_000_000;

/** A record as the reply's JSON holds it; the raw-NUL kinds carry the NUL byte unescaped. */
export function renderRecord(r: Generated): string {
  const { malformed: _m, hostile, ...item } = r;
  const text = JSON.stringify(item);
  return hostile?.startsWith('nul-raw') ? text.replaceAll('\\u0000', '\u0000') : text;
}

/** Makes `rec` the hostile kind of record: what it holds where, as the JSON text will carry it. */
function makeHostile(rec: Generated, kind: HostileKind, task: string) {
  rec.hostile = kind;
  const NUL = '\u0000';
  if (kind === 'nul-python-escape') rec.passback_params = `{'lis_result_sourcedid': 'course-v1:${task}\\x00:lms'}`;
  if (kind === 'nul-json-escape') rec.passback_params = `{'oauth_consumer_key': 'key${NUL}${task}'}`;
  if (kind === 'nul-extra-param') rec.passback_params = `{'lis_result_sourcedid': 's', 'note': 'a\\0b${task}'}`;
  if (kind === 'lone-surrogate')
    rec.passback_params = `{'lis_outcome_service_url': 'https://lms.example.org/${task}\\udc00'}`;
  if (kind === 'nul-raw-passback') rec.passback_params = `{'lis_result_sourcedid': 'raw${NUL}${task}'}`;
  if (kind === 'nul-raw-user') rec.lti_user_id = `${rec.lti_user_id!.slice(0, 16)}${NUL}${rec.lti_user_id!.slice(17)}`;
  if (kind === 'nul-attempt-type') rec.attempt_type = `${rec.attempt_type}${NUL}`;
}

const TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})\.(\d{6})$/;

/** `2023-05-31 09:16:11.313646` -> microseconds since the epoch, or undefined. */
function parseUs(v: string | undefined): number | undefined {
  const m = TIME.exec(v ?? '');
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2]}Z`);
  return Number.isNaN(ms) ? undefined : ms * 1000 + Number(m[3]);
}

function formatUs(us: number): string {
  const ms = Math.floor(us / 1000);
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}.${String(us % 1_000_000).padStart(6, '0')}`;
}

/** A cheap deterministic hash of (day, i) -> uint32 (no crypto per record: a million must be fast). */
function mix(a: number, b: number): number {
  let h = (a * 0x9e3779b1) ^ (b * 0x85ebca77);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

export function createGenerator(options: ItResumeFakeOptions = {}) {
  const perDay = options.recordsPerDay ?? 200;
  const seed = options.seed ?? 'ferry';
  const users = Array.from({ length: options.users ?? 50 }, (_, u) =>
    createHash('md5').update(`${seed}:user:${u}`).digest('hex'),
  );
  const every = options.malformedEvery ?? 0;
  const repeat = options.repeatEvery ?? 0;
  const hostileEvery = options.hostileEvery ?? 0;
  const onlyDays = options.days ? new Set(options.days) : undefined;

  /** Record i of the day starting at dayUs (µs); i spreads evenly over the day, so times are unique. */
  function record(dayUs: number, i: number): Generated {
    const dayNo = Math.floor(dayUs / DAY_US);
    const h = mix(dayNo, i);
    const us = dayUs + Math.floor((i * DAY_US) / perDay) + (h % Math.max(1, Math.floor(DAY_US / perDay / 2)));
    const user = users[h % users.length]!;
    const submit = (h >>> 8) % 3 === 0;
    const task = ((h >>> 12) % 40).toString(16).padStart(8, '0');
    const variant = (h >>> 20) % 4;
    const passback =
      variant === 0
        ? `{'oauth_consumer_key': '', 'lis_result_sourcedid': 'course-v1:SkillFactory+DST-3.0+28FEB2021:lms.skillfactory.ru-${task}:${user}', 'lis_outcome_service_url': 'https://lms.skillfactory.ru/courses/course-v1:SkillFactory+DST-3.0+28FEB2021/xblock/block-v1:SkillFactory+DST-3.0+28FEB2021+type@lti+block@${task}/handler_noauth/outcome_service_handler'}`
        : variant === 1
          ? `{'oauth_consumer_key': None, 'lis_result_sourcedid': "course-v1:it's+\\"quoted\\"+${task}"}`
          : variant === 2
            ? `{}`
            : `{'lis_outcome_service_url': 'https://lms.example.org/grade\\x2fhandler', 'attempt': ${h % 5}, 'graded': True}`;
    const rec: Generated = {
      lti_user_id: user,
      passback_params: passback,
      is_correct: submit ? (h >>> 4) % 2 : null,
      attempt_type: submit ? 'submit' : 'run',
      created_at: formatUs(us),
    };
    if (every > 0 && i % every === every - 1) {
      const kind = MALFORMED_KINDS[Math.floor(i / every) % MALFORMED_KINDS.length]!;
      rec.malformed = kind;
      if (kind === 'broken-passback')
        rec.passback_params = "{'oauth_consumer_key': '', 'lis_result_sourcedid': 'unterminated}";
      if (kind === 'bad-id') rec.lti_user_id = 'not-a-hex-id';
      if (kind === 'inconsistent') {
        rec.attempt_type = 'run';
        rec.is_correct = 1;
      }
      if (kind === 'unknown-type') rec.attempt_type = 'debug';
      if (kind === 'bad-date') rec.created_at = `${rec.created_at.slice(0, 5)}13${rec.created_at.slice(7)}`;
    } else if (hostileEvery > 0 && i % hostileEvery === hostileEvery - 1) {
      makeHostile(rec, HOSTILE_KINDS[Math.floor(i / hostileEvery) % HOSTILE_KINDS.length]!, task);
    }
    return rec;
  }

  /** Every record whose created_at is in [startUs, endUs), in time order (malformed ones by their slot). */
  function* between(startUs: number, endUs: number): Generator<Generated> {
    for (let day = Math.floor(startUs / DAY_US) * DAY_US; day < endUs; day += DAY_US) {
      if (onlyDays && !onlyDays.has(new Date(day / 1000).toISOString().slice(0, 10))) continue;
      for (let i = 0; i < perDay; i++) {
        const slot = day + Math.floor((i * DAY_US) / perDay);
        if (slot + DAY_US / perDay < startUs || slot >= endUs) continue;
        const r = record(day, i);
        // A malformed date keeps its slot's time for filtering, as the real API filters its own column.
        const at = parseUs(r.created_at) ?? slot;
        if (at < startUs || at >= endUs) continue;
        yield r;
        if (repeat > 0 && i % repeat === repeat - 1) yield r;
      }
    }
  }

  /**
   * What a correct ETL must report for this day: its valid records' figures, the malformed count, and
   * the hostile count (PostgreSQL cannot store them as they are: a correct ETL keeps them as rejected).
   */
  function expected(day: string) {
    const start = Date.parse(`${day}T00:00:00Z`) * 1000;
    let attempts = 0;
    let successful = 0;
    let malformed = 0;
    let hostile = 0;
    const seen = new Set<string>();
    const keys = new Set<string>();
    let repeated = 0;
    for (const r of between(start, start + DAY_US)) {
      const key = `${r.created_at} ${r.lti_user_id} ${r.attempt_type}`;
      if (keys.has(key)) {
        repeated++;
        continue;
      }
      keys.add(key);
      if (r.malformed) {
        malformed++;
        continue;
      }
      if (r.hostile) {
        hostile++;
        continue;
      }
      attempts++;
      if (r.is_correct === 1) successful++;
      seen.add(r.lti_user_id!);
    }
    return {
      attempts,
      successful,
      uniqueUsers: seen.size,
      malformed,
      hostile,
      repeated,
      total: attempts + malformed + hostile + repeated,
    };
  }

  return { between, expected, record };
}

export async function startItResumeFake(options: ItResumeFakeOptions = {}) {
  const client = options.client ?? 'ferry-test';
  const clientKey = options.clientKey ?? 'test-client-key';
  const gen = createGenerator(options);
  const faults = new FaultInjector();

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const q = queryObject(url);
    const entry = faults.enter(req, url);
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      sendJson(res, status, body, headers);
    };
    const faulted = await faults.play(req, url, entry, (f, headers) =>
      reply(f.status, { errors: f.message ?? f.reason ?? 'Fault injected by the test' }, headers),
    );
    if (faulted.answered) return;
    if (req.method !== 'GET' || url.pathname !== '/api/statistics') {
      return reply(404, { errors: `Not found: ${req.method} ${url.pathname}` });
    }
    if (!q.client || !q.client_key) return reply(400, { errors: { client: 'client and client_key are required' } });
    if (q.client !== client || q.client_key !== clientKey)
      return reply(403, { errors: { client_key: 'Invalid client key' } });
    const start = parseUs(q.start);
    const end = parseUs(q.end);
    if (start === undefined || end === undefined) {
      return reply(400, { errors: { start: 'start and end must be YYYY-MM-DD HH:MM:SS.ffffff' } });
    }
    entry.status = 200;
    res.writeHead(200, { 'content-type': 'application/json' });
    if (options.cacheDir) {
      const file = join(options.cacheDir, `itresume-${start}-${end}.json`);
      if (!existsSync(file)) {
        const out = createWriteStream(`${file}.part`);
        await writeBody(start, end, out);
        await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
        renameSync(`${file}.part`, file);
      }
      await pipeline(createReadStream(file, { highWaterMark: 256 * 1024 }), res).catch(() => res.destroy());
      return;
    }
    await writeBody(start, end, res);
    res.end();
  };

  /** Streams the JSON array of [start, end) with backpressure. */
  async function writeBody(start: number, end: number, out: NodeJS.WritableStream & { destroyed?: boolean }) {
    let chunk = '[';
    let first = true;
    for (const r of gen.between(start, end)) {
      chunk += (first ? '' : ',') + renderRecord(r);
      first = false;
      if (chunk.length >= 64 * 1024) {
        if (!out.write(chunk)) await once(out as unknown as NodeJS.EventEmitter, 'drain');
        if (out.destroyed) return;
        chunk = '';
      }
    }
    out.write(chunk + ']');
  }

  const server = await listen(handler);
  return {
    /** The records the fake serves (to build a benchmark's baseline from the same data). */
    generator: gen,
    /** ITRESUME_API_URL */
    url: `${server.url}/api/statistics`,
    client,
    clientKey,
    faults,
    /** Figures the ETL must find for a day. */
    expected: gen.expected,
    /** Requests received, in order (query parameters included). */
    requests: faults.log,
    close: () => server.close(),
  };
}

export type ItResumeFake = Awaited<ReturnType<typeof startItResumeFake>>;
