// Temporal's Rust core logs through this bridge into pino, so worker logs are one JSON stream.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../lib/logger';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

export function installRuntime(
  logger: Logger,
  telemetryOptions?: Parameters<typeof Runtime.install>[0]['telemetryOptions'],
) {
  const level = (logger.level === 'silent' ? 'ERROR' : logger.level.toUpperCase()) as LogLevel;
  const bridged = new DefaultLogger(level in LEVELS ? level : 'INFO', (entry) => {
    logger[LEVELS[entry.level]]({ ...entry.meta }, entry.message);
  });
  Runtime.install({ logger: bridged, telemetryOptions });
}
