// The one Retry-After parser (RFC 9110 §10.2.3): `Retry-After = HTTP-date / delay-seconds`, with
// delay-seconds = 1*DIGIT and HTTP-date in any of its three forms (§5.6.7), which a recipient must
// accept: IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete RFC 850 `Sunday, 06-Nov-94
// 08:49:37 GMT` and asctime `Sun Nov  6 08:49:37 1994`. All three are UTC; Date.parse would read
// asctime in the worker's local zone, and accepts forms the RFC does not, hence a parser of our own.
// Pure: safe anywhere.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = MONTHS.join('|');
const DAY = 'Mon|Tue|Wed|Thu|Fri|Sat|Sun';
const DAY_LONG = 'Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';

const IMF_FIXDATE = new RegExp(`^(?:${DAY}), (\\d{2}) (${MONTH}) (\\d{4}) ${TIME} GMT$`);
const RFC850_DATE = new RegExp(`^(?:${DAY_LONG}), (\\d{2})-(${MONTH})-(\\d{2}) ${TIME} GMT$`);
const ASCTIME_DATE = new RegExp(`^(?:${DAY}) (${MONTH}) ( \\d|\\d{2}) ${TIME} (\\d{4})$`);

/** Milliseconds since the epoch, or undefined when the fields do not name a real instant. */
function utc(year: number, month: string, day: number, h: string, m: string, s: string): number | undefined {
  const mon = MONTHS.indexOf(month);
  const [hour, minute, second] = [Number(h), Number(m), Number(s)];
  // second = 60 is the grammar's leap second.
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  // Date.UTC rolls 31 Feb over into March: such a date is not a date.
  if (new Date(Date.UTC(year, mon, day)).getUTCDate() !== day) return undefined;
  return Date.UTC(year, mon, day, hour, minute, second);
}

/** An HTTP-date (any of the three forms) as milliseconds since the epoch; undefined when it is none. */
export function parseHttpDate(value: string, now = Date.now()): number | undefined {
  let m = IMF_FIXDATE.exec(value);
  if (m) return utc(Number(m[3]), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  m = RFC850_DATE.exec(value);
  if (m) {
    // Two-digit years: one that looks more than 50 years ahead is the latest past year with those digits.
    const thisYear = new Date(now).getUTCFullYear();
    let year = thisYear - (thisYear % 100) + Number(m[3]);
    if (year > thisYear + 50) year -= 100;
    return utc(year, m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  }
  m = ASCTIME_DATE.exec(value);
  if (m) return utc(Number(m[6]), m[1]!, Number(m[2]!.trim()), m[3]!, m[4]!, m[5]!);
  return undefined;
}

/**
 * A Retry-After value as the delay in milliseconds from `now`: delta-seconds, or the time until an
 * HTTP-date (0 when it has passed). Undefined when absent or not a Retry-After value.
 */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = parseHttpDate(v, now);
  return at === undefined ? undefined : Math.max(0, at - now);
}
