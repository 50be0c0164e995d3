import { LogLevel as NestLogLevel } from '@nestjs/common';
import { LogLevel } from '@baton/config';

const ORDER: readonly NestLogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
const THRESHOLD: Readonly<Record<LogLevel, number>> = { fatal: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5, silent: -1 };

/** Nest's logger levels for a `LOG_LEVEL` value (`info` is Nest's `log`). */
export function nestLogLevels(level: LogLevel): NestLogLevel[] | false {
  const threshold = THRESHOLD[level];
  return threshold < 0 ? false : ORDER.slice(0, threshold + 1);
}
