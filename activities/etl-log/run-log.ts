// The ETL's human-readable log file, as the seed asks: LOG_DIR/YYYY-MM-DD.log (UTC date), one line per
// stage start/end with durations and every error. Written by winston's maintained daily-rotate
// transport; each activity opens it, appends, and closes it (awaiting the flush), so lines are on disk
// when the activity returns, from whichever worker ran it.
import { mkdirSync } from 'node:fs';
import { once } from 'node:events';
import winston from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';

export interface RunLog {
  info(message: string): void;
  error(message: string, err?: unknown): void;
  /** Logs `<stage> started`, runs fn, logs `<stage> finished in Xs` (or `<stage> failed after Xs: ...`). */
  stage<T>(name: string, fn: () => Promise<T>, summary?: (result: T) => string): Promise<T>;
  close(): Promise<void>;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)}s`;
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

export function openRunLog(dir: string, context: string): RunLog {
  mkdirSync(dir, { recursive: true });
  const transport = new DailyRotateFile({
    dirname: dir,
    filename: '%DATE%.log',
    datePattern: 'YYYY-MM-DD',
    utc: true,
    // The audit file is the transport's own bookkeeping; retention is done by pruneLogs for every file.
    auditFile: `${dir}/.ferry-etl-log-audit.json`,
  });
  const logger = winston.createLogger({
    level: 'info',
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.printf((e) => `${String(e.timestamp)} ${e.level.toUpperCase()} [${context}] ${String(e.message)}`),
    ),
    transports: [transport],
  });
  const log: RunLog = {
    info: (message) => void logger.info(message),
    error: (message, err) => void logger.error(err === undefined ? message : `${message}: ${errorText(err)}`),
    async stage(name, fn, summary) {
      const t0 = Date.now();
      log.info(`${name} started`);
      try {
        const result = await fn();
        const extra = summary ? ` (${summary(result)})` : '';
        log.info(`${name} finished in ${seconds(Date.now() - t0)}${extra}`);
        return result;
      } catch (err) {
        log.error(`${name} failed after ${seconds(Date.now() - t0)}`, err);
        throw err;
      }
    },
    async close() {
      const finished = once(transport, 'finish');
      logger.end();
      await finished;
    },
  };
  return log;
}
