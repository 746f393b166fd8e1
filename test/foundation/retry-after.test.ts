// The one Retry-After parser (lib/retry-after.ts): RFC 9110's delay-seconds and all three HTTP-date
// forms, read as UTC whatever the worker's time zone, and nothing else.
import { afterEach, describe, expect, it } from 'vitest';
import { parseHttpDate, retryAfterMs } from '../../lib/retry-after';

// RFC 9110 §5.6.7's example instant, in its three forms.
const AT = Date.UTC(1994, 10, 6, 8, 49, 37);
const NOW = AT - 37_000;

describe('Retry-After', () => {
  const zone = process.env.TZ;
  afterEach(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });

  it('reads delay-seconds, with the optional whitespace around a field value', () => {
    expect(retryAfterMs('120')).toBe(120_000);
    expect(retryAfterMs('0')).toBe(0);
    expect(retryAfterMs(' 7 ')).toBe(7000);
  });

  it('reads an HTTP-date in each of its three forms as the time until then', () => {
    expect(retryAfterMs('Sun, 06 Nov 1994 08:49:37 GMT', NOW)).toBe(37_000);
    expect(retryAfterMs('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(37_000);
    expect(retryAfterMs('Sun Nov  6 08:49:37 1994', NOW)).toBe(37_000);
    expect(retryAfterMs('Thu, 01 Dec 1994 16:00:00 GMT', Date.UTC(1994, 11, 1, 15, 59, 0))).toBe(60_000);
  });

  it('reads asctime as UTC in a worker outside UTC (Date.parse would take local time)', () => {
    process.env.TZ = 'Asia/Tokyo';
    expect(new Date(2024, 0, 1).getTimezoneOffset()).toBe(-540);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(AT);
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(AT);
  });

  it('takes a two-digit year more than 50 years ahead as the latest past year with those digits', () => {
    const in2026 = Date.UTC(2026, 0, 1);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', in2026)).toBe(AT);
    expect(parseHttpDate('Saturday, 06-Nov-27 08:49:37 GMT', in2026)).toBe(Date.UTC(2027, 10, 6, 8, 49, 37));
  });

  it('answers 0 for a date that has passed', () => {
    expect(retryAfterMs('Sun, 06 Nov 1994 08:49:37 GMT', AT + 5000)).toBe(0);
  });

  it('is undefined when absent or not a Retry-After value', () => {
    for (const value of [
      null,
      undefined,
      '',
      'soon',
      '1.5',
      '-1',
      '+3',
      '1e3',
      '0x10',
      '2024-01-01T00:00:00Z',
      'Sun, 06 Nov 1994 08:49:37 UTC',
      'sun, 06 nov 1994 08:49:37 gmt',
      'Sun, 31 Feb 1994 08:49:37 GMT',
      'Sun, 06 Nov 1994 24:00:00 GMT',
      'Sun, 6 Nov 1994 08:49:37 GMT',
    ]) {
      expect(retryAfterMs(value, NOW), String(value)).toBeUndefined();
    }
  });
});
