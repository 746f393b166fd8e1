// A faithful stand-in for the Sheets API v4 values endpoints: GET .../values/{range},
// POST .../values/{range}:append, PUT .../values/{range}, with Google's response shapes
// ({range, majorDimension, values}; {spreadsheetId, tableRange, updates:{...}}) and error JSON
// ({"error":{"code","message","status"}}). Bearer tokens are checked with the Google OAuth fake.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { FaultInjector } from './faults';
import { listen, readJson, sendJson } from './http-kit';

const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};
const SCOPE = 'https://www.googleapis.com/auth/spreadsheets';
const GRID_ROWS = 1000;

type Cell = string | number | boolean;
interface A1 {
  sheet: string;
  c1: number;
  r1: number;
  c2: number;
  r2: number | undefined;
}

const colIndex = (c: string) => [...c.toUpperCase()].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0) - 1;
function colName(i: number): string {
  let n = i + 1;
  let s = '';
  while (n > 0) {
    s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

function parseA1(range: string): A1 | undefined {
  const bang = range.lastIndexOf('!');
  let sheet = bang >= 0 ? range.slice(0, bang) : range;
  const cells = bang >= 0 ? range.slice(bang + 1) : '';
  if (sheet.startsWith("'") && sheet.endsWith("'")) sheet = sheet.slice(1, -1).replaceAll("''", "'");
  if (!cells) return { sheet, c1: 0, r1: 1, c2: 25, r2: undefined };
  const m = /^([A-Z]+)(\d*)(?::([A-Z]+)(\d*))?$/i.exec(cells);
  if (!m) return undefined;
  const c1 = colIndex(m[1]!);
  const r1 = m[2] ? Number(m[2]) : 1;
  const c2 = m[3] ? colIndex(m[3]) : c1;
  const r2 = m[4] ? Number(m[4]) : m[3] ? undefined : r1;
  return { sheet, c1, r1, c2, r2 };
}

const quoteSheet = (s: string) => (/^[A-Za-z0-9_]+$/.test(s) ? s : `'${s.replaceAll("'", "''")}'`);
const a1 = (sheet: string, c1: number, r1: number, c2: number, r2: number) =>
  `${quoteSheet(sheet)}!${colName(c1)}${r1}:${colName(c2)}${r2}`;

export async function startGoogleSheetsFake(options: { validAccessToken: (token: string, scope?: string) => boolean }) {
  const books = new Map<string, Map<string, Cell[][]>>();
  const faults = new FaultInjector();

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const entry = faults.enter(req, url);
    const error = (code: number, message: string, headers: Record<string, string> = {}) => {
      entry.status = code;
      sendJson(res, code, { error: { code, message, status: STATUS[code] ?? 'UNKNOWN' } }, headers);
    };
    const ok = (body: unknown) => {
      entry.status = 200;
      sendJson(res, 200, body);
    };
    const faulted = await faults.play(req, url, entry, (f, headers) =>
      error(f.status, f.message ?? 'Fault injected by the test.', headers),
    );
    if (faulted.answered) return;
    const m = /^\/v4\/spreadsheets\/([^/]+)\/values\/([^/]+)$/.exec(url.pathname);
    if (!m) return error(404, `Method not found: ${req.method} ${url.pathname}`);
    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (!options.validAccessToken(token)) {
      return error(
        401,
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      );
    }
    if (!options.validAccessToken(token, SCOPE)) return error(403, 'Request had insufficient authentication scopes.');
    const book = books.get(decodeURIComponent(m[1]!));
    if (!book) return error(404, 'Requested entity was not found.');
    // The operation suffix (":append") is literal; a colon inside the range arrives percent-encoded.
    let rawRange = m[2]!;
    let op = '';
    const colon = rawRange.lastIndexOf(':');
    if (colon >= 0) {
      op = rawRange.slice(colon + 1);
      rawRange = rawRange.slice(0, colon);
    }
    const rangeText = decodeURIComponent(rawRange);
    const range = parseA1(rangeText);
    const grid = range && book.get(range.sheet);
    if (!range || !grid) return error(400, `Unable to parse range: ${rangeText}`);
    const lastRow = () => grid.length;

    if (req.method === 'GET' && op === '') {
      const r2 = Math.min(range.r2 ?? GRID_ROWS, GRID_ROWS);
      const unformatted = url.searchParams.get('valueRenderOption') === 'UNFORMATTED_VALUE';
      const rows: Cell[][] = [];
      for (let r = range.r1; r <= Math.min(r2, lastRow()); r++) {
        const row = (grid[r - 1] ?? []).slice(range.c1, range.c2 + 1).map((c) => (unformatted ? c : String(c)));
        while (row.length && (row.at(-1) === '' || row.at(-1) === undefined)) row.pop();
        rows.push(row);
      }
      while (rows.length && rows.at(-1)!.length === 0) rows.pop();
      return ok({
        range: a1(range.sheet, range.c1, range.r1, range.c2, r2),
        majorDimension: 'ROWS',
        ...(rows.length ? { values: rows } : {}),
      });
    }

    const write = async (fromRow: number) => {
      const body = (await readJson(req)) as { values?: Cell[][]; range?: string; majorDimension?: string };
      const values = body.values ?? [];
      values.forEach((row, i) => {
        const r = fromRow - 1 + i;
        while (grid.length <= r) grid.push([]);
        const target = grid[r]!;
        row.forEach((v, j) => {
          while (target.length <= range.c1 + j) target.push('');
          target[range.c1 + j] = v === null ? '' : v;
        });
      });
      const width = Math.max(0, ...values.map((r) => r.length));
      return {
        spreadsheetId: decodeURIComponent(m[1]!),
        updatedRange: a1(
          range.sheet,
          range.c1,
          fromRow,
          range.c1 + Math.max(width, 1) - 1,
          fromRow + Math.max(values.length, 1) - 1,
        ),
        updatedRows: values.length,
        updatedColumns: width,
        updatedCells: values.reduce((n, r) => n + r.length, 0),
      };
    };
    const inputOption = url.searchParams.get('valueInputOption');
    if ((req.method === 'POST' && op === 'append') || (req.method === 'PUT' && op === '')) {
      if (!inputOption) return error(400, "'valueInputOption' is required but not specified");
      if (inputOption !== 'RAW' && inputOption !== 'USER_ENTERED') {
        return error(400, `Invalid value at 'value_input_option' (${inputOption})`);
      }
    }
    if (req.method === 'POST' && op === 'append') {
      // The table is the block of rows in the range's columns; new rows go right after its last row.
      let last = range.r1 - 1;
      for (let r = range.r1; r <= lastRow(); r++) {
        if ((grid[r - 1] ?? []).slice(range.c1, range.c2 + 1).some((c) => c !== '')) last = r;
      }
      const updates = await write(last + 1);
      entry.status = 200;
      return ok({
        spreadsheetId: updates.spreadsheetId,
        ...(last >= range.r1 ? { tableRange: a1(range.sheet, range.c1, range.r1, range.c2, last) } : {}),
        updates,
      });
    }
    if (req.method === 'PUT' && op === '') return ok(await write(range.r1));
    return error(404, `Method not found: ${req.method} ${url.pathname}`);
  };

  const server = await listen(handler);
  return {
    /** GOOGLE_SHEETS_API_URL */
    url: server.url,
    faults,
    requests: faults.log,
    /** A new spreadsheet with the given sheets (tabs); returns its id. */
    createSpreadsheet(sheets: string[] = ['Daily'], id = `sheet-${randomBytes(8).toString('hex')}`): string {
      books.set(id, new Map(sheets.map((s) => [s, []])));
      return id;
    },
    /** The sheet's cells as stored (row 1 first). */
    rows(id: string, sheet = 'Daily'): Cell[][] {
      return (books.get(id)?.get(sheet) ?? []).map((r) => [...r]);
    },
    close: () => server.close(),
  };
}

export type GoogleSheetsFake = Awaited<ReturnType<typeof startGoogleSheetsFake>>;
