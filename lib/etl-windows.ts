// Which windows an ETL run loads. Pure (no I/O): used by the workflow, the API and the CLI.
// A run covers whole UTC days; each day is one window [day 00:00, next day 00:00). The first window
// reaches back by the lookback overlap, so records that reached the API late (after the previous
// run) are picked up; the natural key absorbs the ones already loaded. Later windows of a backfill
// are contiguous and need no overlap.
const DAY_MS = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A backfill longer than this is refused (a typo like 2004 for 2024 would mean thousands of calls). */
const MAX_RUN_DAYS = 400;

interface DayWindow {
  day: string;
  start: string;
  end: string;
}

const isDate = (v: string) => {
  const ms = DATE.test(v) ? Date.parse(`${v}T00:00:00Z`) : NaN;
  // Date.parse rolls 2024-02-30 over to March: a real date reads back the same.
  return !Number.isNaN(ms) && new Date(ms).toISOString().startsWith(v);
};
export const addDays = (day: string, n: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
export const utcDay = (at: Date | number) => new Date(at).toISOString().slice(0, 10);

/** How many days start..end covers (inclusive), by arithmetic: the limit is checked before any list exists. */
const dayCount = (start: string, end: string) =>
  Math.round((Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / DAY_MS) + 1;

/** Days from start to end inclusive (callers check dayCount against MAX_RUN_DAYS first). */
function daysBetween(start: string, end: string): string[] {
  const out: string[] = [];
  for (let d = start; d <= end; d = addDays(d, 1)) out.push(d);
  return out;
}

/** Problems with a requested range (empty when fine), each naming its field. */
export function rangeProblems(
  range: { start?: string; end?: string },
  today: string,
): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  for (const field of ['start', 'end'] as const) {
    const v = range[field];
    if (v !== undefined && !isDate(v)) problems.push({ field, message: 'must be a UTC date YYYY-MM-DD' });
    else if (v !== undefined && v > today) problems.push({ field, message: `must not be after today (${today})` });
  }
  if (problems.length) return problems;
  const { start, end } = range;
  if (start && end && end < start) problems.push({ field: 'end', message: 'must not be before start' });
  else if (start && end && dayCount(start, end) > MAX_RUN_DAYS) {
    problems.push({ field: 'end', message: `a run covers at most ${MAX_RUN_DAYS} days` });
  } else if (!start && end) problems.push({ field: 'start', message: 'required when end is given' });
  return problems;
}

/** The days a run covers: [start..end], start alone = that day, neither = the day before `now`. */
export function runDays(range: { start?: string; end?: string }, now: Date): string[] {
  if (range.start) return daysBetween(range.start, range.end ?? range.start);
  return [addDays(utcDay(now), -1)];
}

export function dayWindow(day: string, lookbackHours: number): DayWindow {
  const start = Date.parse(`${day}T00:00:00Z`) - lookbackHours * 3_600_000;
  return {
    day,
    start: new Date(start).toISOString(),
    end: new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString(),
  };
}
