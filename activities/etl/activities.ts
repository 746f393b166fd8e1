// The daily ETL's activities, one per stage, over the per-system clients: IT Resume -> PostgreSQL
// (extract + load), aggregates, Google Sheets, e-mail, the run's log file and its retention.
// Every stage writes its start/end and errors into LOG_DIR/YYYY-MM-DD.log.
import { Context } from '@temporalio/activity';
import { ConfigError, requireVars } from '../../lib/config';
import { FailureType, failure } from '../../lib/failures';
import type { DayFigures, LoadCounts, RunTrigger } from '../../lib/jobs/etl-run';
import type { ActivityDeps } from '../deps';
import { loadWindow } from '../db/etl-load';
import { aggregateDays, beginRun, finishRun } from '../db/etl-runs';
import { openRunLog, type RunLog } from '../etl-log/run-log';
import { pruneLogs } from '../etl-log/retention';
import { fetchStatistics } from '../itresume/client';
import { sendFailure, sendReport, type RunReport } from '../mail/etl-report';
import { upsertDays, type UpsertResult } from '../sheets/daily-sheet';
import { readServiceAccountKey, serviceAccountToken } from '../sheets/service-account';

export interface EtlWindow {
  /** The UTC day the window is for, YYYY-MM-DD. */
  day: string;
  /** ISO instants; start may reach back before `day` by the lookback overlap. */
  start: string;
  end: string;
}

const HEARTBEAT_MS = 2_000;

/** A missing variable is a configuration problem: fail the run at once, naming it. */
function settings<K extends Parameters<typeof requireVars>[1][number]>(
  deps: ActivityDeps,
  names: K[],
  feature: string,
) {
  try {
    return requireVars(deps.config, names, feature);
  } catch (err) {
    if (err instanceof ConfigError) {
      throw failure(FailureType.InvalidInput, err.message);
    }
    throw err;
  }
}

function poolOf(deps: ActivityDeps) {
  if (!deps.pool) {
    throw failure(FailureType.InvalidInput, 'DATABASE_URL: required for the daily ETL');
  }
  return deps.pool;
}

export function createEtlActivities(deps: ActivityDeps) {
  const withLog = async <T>(context: string, fn: (log: RunLog) => Promise<T>): Promise<T> => {
    const log = openRunLog(deps.config.LOG_DIR, context);
    try {
      return await fn(log);
    } finally {
      await log.close();
    }
  };

  return {
    async etlBeginWindow(input: { workflowId: string; trigger: RunTrigger; window: EtlWindow }): Promise<number> {
      return withLog(input.workflowId, async (log) => {
        const runId = await beginRun(poolOf(deps), {
          workflowId: input.workflowId,
          trigger: input.trigger,
          windowStart: input.window.start,
          windowEnd: input.window.end,
        });
        log.info(`window ${input.window.day} (${input.window.start} .. ${input.window.end}) started, run ${runId}`);
        return runId;
      });
    },

    async etlExtractLoad(input: { workflowId: string; runId: number; window: EtlWindow }): Promise<LoadCounts> {
      const cfg = settings(deps, ['ITRESUME_CLIENT', 'ITRESUME_CLIENT_KEY'], 'the IT Resume extract');
      const pool = poolOf(deps);
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_MS);
      try {
        return await withLog(`${input.workflowId} ${input.window.day}`, (log) =>
          log.stage(
            'download + load',
            async () => {
              log.info(
                `download started: ${deps.config.ITRESUME_API_URL} ${input.window.start} .. ${input.window.end}`,
              );
              const items = (clock: { networkMs: number }) =>
                fetchStatistics(
                  {
                    baseUrl: deps.config.ITRESUME_API_URL,
                    client: cfg.ITRESUME_CLIENT,
                    clientKey: cfg.ITRESUME_CLIENT_KEY,
                  },
                  { start: new Date(input.window.start), end: new Date(input.window.end) },
                  ctx.cancellationSignal,
                  clock,
                );
              const counts = await loadWindow(pool, input.runId, items);
              log.info(`download finished in ${(counts.downloadMs / 1000).toFixed(2)}s: ${counts.fetched} records`);
              const s = counts.stages;
              log.info(
                `load finished in ${(counts.loadMs / 1000).toFixed(2)}s` +
                  (s ? ` (download ${s.downloadMs} ms, parse ${s.parseMs} ms, COPY ${s.copyMs} ms)` : '') +
                  `: ${counts.inserted} inserted, ${counts.duplicates} duplicates, ${counts.rejected} rejected`,
              );
              return counts;
            },
            (c) => `${c.fetched} fetched`,
          ),
        );
      } finally {
        clearInterval(beat);
      }
    },

    async etlAggregate(input: { workflowId: string; from: string; to: string }): Promise<DayFigures[]> {
      return withLog(input.workflowId, (log) =>
        log.stage(
          `aggregate ${input.from}..${input.to}`,
          () => aggregateDays(poolOf(deps), input.from, input.to),
          (days) => days.map((d) => `${d.date}: ${d.attempts}/${d.successful}/${d.uniqueUsers}`).join(', '),
        ),
      );
    },

    async etlWriteSheet(input: {
      workflowId: string;
      rows: DayFigures[];
      updateOnly: DayFigures[];
    }): Promise<UpsertResult> {
      const cfg = settings(deps, ['GOOGLE_SERVICE_ACCOUNT_JSON', 'SHEETS_SPREADSHEET_ID'], 'the Google Sheets report');
      return withLog(input.workflowId, (log) =>
        log.stage(
          'sheets update',
          async () => {
            const key = readServiceAccountKey(cfg.GOOGLE_SERVICE_ACCOUNT_JSON);
            const accessToken = await serviceAccountToken(key, deps.config.GOOGLE_TOKEN_URL);
            return upsertDays(
              {
                rootUrl: deps.config.GOOGLE_SHEETS_API_URL,
                accessToken,
                spreadsheetId: cfg.SHEETS_SPREADSHEET_ID,
                range: deps.config.SHEETS_RANGE,
              },
              input.rows,
              input.updateOnly,
            );
          },
          (r) => `updated [${r.updated.join(', ')}], appended [${r.appended.join(', ')}]`,
        ),
      );
    },

    async etlFinishWindow(input: {
      workflowId: string;
      runId: number;
      day: string;
      status: 'succeeded' | 'failed';
      error?: string;
    }): Promise<void> {
      await withLog(input.workflowId, async (log) => {
        await finishRun(poolOf(deps), input.runId, input.status, input.error);
        if (input.status === 'failed') log.error(`window ${input.day} failed: ${input.error ?? 'unknown error'}`);
        else log.info(`window ${input.day} finished`);
      });
    },

    async etlSendReport(report: RunReport): Promise<string> {
      const cfg = settings(deps, ['SMTP_URL', 'MAIL_FROM', 'MAIL_TO'], 'the ETL e-mail');
      return withLog(report.workflowId, (log) =>
        log.stage('report e-mail', () =>
          sendReport({ smtpUrl: cfg.SMTP_URL, from: cfg.MAIL_FROM, to: cfg.MAIL_TO }, report),
        ),
      );
    },

    async etlSendFailure(input: { workflowId: string; window?: string; reason: string }): Promise<string> {
      const cfg = settings(deps, ['SMTP_URL', 'MAIL_FROM', 'MAIL_TO'], 'the ETL e-mail');
      return withLog(input.workflowId, async (log) => {
        log.error(`run failed${input.window ? ` in window ${input.window}` : ''}: ${input.reason}`);
        return log.stage('failure e-mail', () =>
          sendFailure({ smtpUrl: cfg.SMTP_URL, from: cfg.MAIL_FROM, to: cfg.MAIL_TO }, input),
        );
      });
    },

    async etlPruneLogs(input: { workflowId: string }): Promise<string[]> {
      return withLog(input.workflowId, (log) =>
        log.stage(
          `log retention (${deps.config.LOG_RETENTION_DAYS} days)`,
          () => pruneLogs(deps.config.LOG_DIR, deps.config.LOG_RETENTION_DAYS),
          (removed) => `removed ${removed.length ? removed.join(', ') : 'nothing'}`,
        ),
      );
    },
  };
}
