// Writes the per-day figures to Google Sheets (googleapis, Sheets v4, rootUrl from
// GOOGLE_SHEETS_API_URL). One row per UTC day: re-running a day UPDATES its row (found by the date
// in the first column) instead of appending a second one.
// Only the Sheets module: `import { google } from 'googleapis'` loads every Google API (~120 MB of RSS).
import { sheets as sheetsApi } from 'googleapis/build/src/apis/sheets/index.js';
import { FailureType, failure } from '../../lib/failures';
import type { DayFigures } from '../../lib/jobs/etl-run';

const HEADER = ['date', 'attempts', 'successful_attempts', 'unique_users'];

interface SheetTarget {
  rootUrl: string;
  accessToken: string;
  spreadsheetId: string;
  /** A1 range of the table, e.g. `Daily!A:D` or `'My Log'!B2:E`. */
  range: string;
}

interface ParsedRange {
  sheet: string;
  firstColumn: string;
  lastColumn: string;
}

/** Splits `Sheet!A:D` / `'My Sheet'!B2:E100` into the sheet part (quotes kept) and its columns. */
function parseRange(range: string): ParsedRange {
  const bang = range.lastIndexOf('!');
  const sheet = bang >= 0 ? range.slice(0, bang) : '';
  const cells = bang >= 0 ? range.slice(bang + 1) : range;
  const m = /^([A-Za-z]+)\d*(?::([A-Za-z]+)\d*)?$/.exec(cells);
  if (!sheet || !m) {
    throw failure(FailureType.InvalidInput, `SHEETS_RANGE ${JSON.stringify(range)} is not of the form Sheet!A:D`);
  }
  const first = m[1]!.toUpperCase();
  return { sheet, firstColumn: first, lastColumn: (m[2] ?? columnName(columnIndex(first) + 3)).toUpperCase() };
}

const columnIndex = (col: string) => [...col.toUpperCase()].reduce((n, c) => n * 26 + c.charCodeAt(0) - 64, 0) - 1;
function columnName(index: number): string {
  let n = index + 1;
  let out = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    out = String.fromCharCode(65 + r) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

/** The first row number of a range the API echoes (`Daily!A1:D12` -> 1). */
const startRow = (echoed: string | null | undefined) =>
  Number(/!?[A-Za-z]+(\d+)/.exec(echoed?.split('!').pop() ?? '')?.[1] ?? 1);

function toFailure(err: unknown): unknown {
  const e = err as { status?: number; response?: { status?: number; data?: { error?: { message?: string } } } };
  const status = e.response?.status ?? e.status;
  if (!status) return err;
  const message = `Google Sheets answered ${status}: ${e.response?.data?.error?.message ?? (err as Error).message}`;
  if (status === 403) return failure(FailureType.AccessDenied, message);
  if (status === 400 || status === 404) {
    return failure(FailureType.InvalidInput, message);
  }
  // 401 (a token that expired meanwhile), 429 and 5xx: retried by the activity's policy.
  return failure(status === 429 ? FailureType.RateLimited : FailureType.SheetsUnavailable, message);
}

export interface UpsertResult {
  updated: string[];
  appended: string[];
}

/**
 * Upserts one row per day. `rows` are written (updated or appended); `updateOnly` rows are written only
 * where the sheet already has that day — they are the lookback overlap, whose figures are partial
 * unless that day was loaded before.
 */
export async function upsertDays(
  target: SheetTarget,
  rows: DayFigures[],
  updateOnly: DayFigures[] = [],
): Promise<UpsertResult> {
  const { sheet, firstColumn, lastColumn } = parseRange(target.range);
  const sheets = sheetsApi({
    version: 'v4',
    rootUrl: target.rootUrl.endsWith('/') ? target.rootUrl : `${target.rootUrl}/`,
    headers: { authorization: `Bearer ${target.accessToken}` },
  });
  const spreadsheetId = target.spreadsheetId;
  const values = (d: DayFigures) => [d.date, d.attempts, d.successful, d.uniqueUsers];
  try {
    const current = await sheets.spreadsheets.values.get({ spreadsheetId, range: target.range });
    const existing = current.data.values ?? [];
    const first = startRow(current.data.range);
    const rowOf = new Map<string, number>();
    existing.forEach((r, i) => {
      const cell = r[0];
      if (cell !== undefined && cell !== null && cell !== '') rowOf.set(String(cell), first + i);
    });
    const result: UpsertResult = { updated: [], appended: [] };
    const toAppend: DayFigures[] = [];
    for (const [day, mayAppend] of [
      ...rows.map((d) => [d, true] as const),
      ...updateOnly.map((d) => [d, false] as const),
    ]) {
      const row = rowOf.get(day.date);
      if (row !== undefined) {
        await sheets.spreadsheets.values.update({
          spreadsheetId,
          range: `${sheet}!${firstColumn}${row}:${lastColumn}${row}`,
          valueInputOption: 'RAW',
          requestBody: { values: [values(day)] },
        });
        result.updated.push(day.date);
      } else if (mayAppend) toAppend.push(day);
    }
    if (toAppend.length) {
      const header = existing.length === 0 ? [HEADER] : [];
      await sheets.spreadsheets.values.append({
        spreadsheetId,
        range: target.range,
        valueInputOption: 'RAW',
        insertDataOption: 'INSERT_ROWS',
        requestBody: { values: [...header, ...toAppend.sort((a, b) => a.date.localeCompare(b.date)).map(values)] },
      });
      result.appended.push(...toAppend.map((d) => d.date));
    }
    return result;
  } catch (err) {
    throw toFailure(err);
  }
}
