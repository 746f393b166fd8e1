// Everything an ETL test needs around Ferry: the fake IT Resume API, the Google OAuth + Sheets fakes
// with a service account, a real SMTP sink, a log directory, and a Config pointing at all of them.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { Config } from '../../lib/config';
import { createPool, type Pool } from '../../lib/db';
import { startGoogleOAuthFake, type GoogleOAuthFake } from '../../fakes/google-oauth';
import { startGoogleSheetsFake, type GoogleSheetsFake } from '../../fakes/google-sheets';
import { startItResumeFake, type ItResumeFake, type ItResumeFakeOptions } from '../../fakes/itresume';
import { startSmtpSink, type SmtpSink } from '../../fakes/smtp-sink';
import { testConfig } from '../helpers/config';

export interface EtlWorld {
  itresume: ItResumeFake;
  oauth: GoogleOAuthFake;
  sheets: GoogleSheetsFake;
  smtp: SmtpSink;
  spreadsheetId: string;
  logDir: string;
  env: Record<string, string>;
  config: Config;
  pool: Pool;
}

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

export async function etlWorld(
  options: ItResumeFakeOptions & { env?: Record<string, string> } = {},
): Promise<EtlWorld> {
  const itresume = await startItResumeFake(options);
  const oauth = await startGoogleOAuthFake();
  const sheets = await startGoogleSheetsFake({ validAccessToken: (t, s) => oauth.validAccessToken(t, s) });
  const smtp = await startSmtpSink();
  cleanups.push(itresume.close, oauth.close, sheets.close, smtp.close);
  const spreadsheetId = sheets.createSpreadsheet(['Daily']);
  const logDir = mkdtempSync(join(tmpdir(), 'ferry-etl-log-'));
  const env: Record<string, string> = {
    ITRESUME_API_URL: itresume.url,
    ITRESUME_CLIENT: itresume.client,
    ITRESUME_CLIENT_KEY: itresume.clientKey,
    GOOGLE_TOKEN_URL: oauth.tokenUrl,
    GOOGLE_SHEETS_API_URL: sheets.url,
    GOOGLE_SERVICE_ACCOUNT_JSON: JSON.stringify(oauth.createServiceAccount()),
    SHEETS_SPREADSHEET_ID: spreadsheetId,
    SHEETS_RANGE: 'Daily!A:D',
    SMTP_URL: smtp.url,
    MAIL_FROM: 'ferry@example.org',
    MAIL_TO: 'data-team@example.org',
    LOG_DIR: logDir,
    ...options.env,
  };
  const config = testConfig(env);
  const pool = createPool(config.DATABASE_URL!, { max: 3 });
  cleanups.push(() => pool.end());
  return { itresume, oauth, sheets, smtp, spreadsheetId, logDir, env, config, pool };
}

/** Attempts stored for a UTC day. */
export async function attemptsOn(pool: Pool, day: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `select count(*) as n from etl_attempts where created_at >= $1::date and created_at < $1::date + 1`,
    [day],
  );
  return Number(rows[0]!.n);
}
