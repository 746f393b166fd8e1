// One IT Resume statistics item, validated. A bad item is never dropped and never fails the run:
// validateRecord says why it is bad, and the loader keeps it in etl_rejected with its raw text.
import { parsePassbackParams, type PyValue } from './passback-params';

export interface Attempt {
  ltiUserId: string;
  attemptType: 'run' | 'submit';
  isCorrect: 0 | 1 | null;
  /** UTC, `YYYY-MM-DD HH:MM:SS.ffffff` (normalised to 6 fraction digits). */
  createdAt: string;
  oauthConsumerKey: string | null;
  lisResultSourcedid: string | null;
  lisOutcomeServiceUrl: string | null;
  /** passback_params keys other than the three above, kept so nothing the source sent is lost. */
  extraParams: Record<string, PyValue> | null;
}

type Validated = { ok: true; attempt: Attempt } | { ok: false; reason: string };

const HEX32 = /^[0-9a-f]{32}$/i;
const CREATED_AT = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;
const KNOWN_PARAMS = ['oauth_consumer_key', 'lis_result_sourcedid', 'lis_outcome_service_url'] as const;

const daysInMonth = (year: number, month: number) =>
  month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : month === 4 || month === 6 || month === 9 || month === 11
      ? 30
      : 31;

const digitsAt = (s: string, from: number, to: number) => {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
};

/**
 * The form the API sends (`YYYY-MM-DD HH:MM:SS.ffffff`, 26 characters) read without a regex or any
 * allocation: a million of these per day. Undefined when the text is not exactly that form.
 */
function canonicalCreatedAt(v: string): string | undefined {
  if (v.length !== 26 || v[4] !== '-' || v[7] !== '-' || v[10] !== ' ' || v[13] !== ':' || v[16] !== ':') return;
  if (v[19] !== '.' || digitsAt(v, 20, 26) < 0) return;
  const y = digitsAt(v, 0, 4);
  const month = digitsAt(v, 5, 7);
  const day = digitsAt(v, 8, 10);
  const h = digitsAt(v, 11, 13);
  const mi = digitsAt(v, 14, 16);
  const sec = digitsAt(v, 17, 19);
  if (y < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(y, month)) return;
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return;
  return v;
}

/** `2023-05-31 09:16:11.313646` (no zone: the API speaks UTC) -> normalised text, or undefined. */
function parseCreatedAt(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const canonical = canonicalCreatedAt(value);
  if (canonical) return canonical;
  const m = CREATED_AT.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = ''] = m;
  const [year, month, day] = [+y!, +mo!, +d!];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (+h! > 23 || +mi! > 59 || +s! > 59) return undefined;
  return `${y}-${mo}-${d} ${h}:${mi}:${s}.${frac.padEnd(6, '0')}`;
}

const asText = (v: PyValue | undefined): string | null =>
  v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v);

export function validateRecord(item: unknown): Validated {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return { ok: false, reason: 'item is not a JSON object' };
  }
  const r = item as Record<string, unknown>;
  const problems: string[] = [];

  const ltiUserId = r.lti_user_id;
  if (typeof ltiUserId !== 'string' || !HEX32.test(ltiUserId)) problems.push('lti_user_id is not 32 hex digits');

  const attemptType = r.attempt_type;
  if (attemptType !== 'run' && attemptType !== 'submit') {
    problems.push(`attempt_type ${JSON.stringify(attemptType ?? null)} is not run|submit`);
  }

  let isCorrect: 0 | 1 | null = null;
  const rawCorrect = r.is_correct === true ? 1 : r.is_correct === false ? 0 : r.is_correct;
  if (attemptType === 'run' && rawCorrect !== null && rawCorrect !== undefined) {
    problems.push('is_correct must be null for a run');
  } else if (attemptType === 'submit') {
    if (rawCorrect === 0 || rawCorrect === 1) isCorrect = rawCorrect;
    else problems.push('is_correct must be 0 or 1 for a submit');
  }

  const createdAt = parseCreatedAt(r.created_at);
  // Year 0000 matches the pattern, but PostgreSQL has no year 0 ("date/time field value out of range").
  if (!createdAt) problems.push('created_at is not a UTC timestamp YYYY-MM-DD HH:MM:SS[.ffffff] (years 0001-9999)');

  let params: Record<string, PyValue> = {};
  if (r.passback_params !== null && r.passback_params !== undefined) {
    if (typeof r.passback_params !== 'string') problems.push('passback_params is not a string');
    else {
      try {
        params = parsePassbackParams(r.passback_params);
      } catch (err) {
        problems.push(`passback_params: ${(err as Error).message}`);
      }
    }
  }

  if (problems.length) return { ok: false, reason: problems.join('; ') };
  const extra = Object.entries(params).filter(([k]) => !(KNOWN_PARAMS as readonly string[]).includes(k));
  return {
    ok: true,
    attempt: {
      ltiUserId: (ltiUserId as string).toLowerCase(),
      attemptType: attemptType as 'run' | 'submit',
      isCorrect,
      createdAt: createdAt!,
      oauthConsumerKey: asText(params.oauth_consumer_key),
      lisResultSourcedid: asText(params.lis_result_sourcedid),
      lisOutcomeServiceUrl: asText(params.lis_outcome_service_url),
      extraParams: extra.length ? Object.fromEntries(extra) : null,
    },
  };
}
