import type { LogLevel } from '@baton/config';
import type { LogLevel as NestLogLevel } from '@nestjs/common';

const NEST_LEVELS: readonly NestLogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Nest's logger levels for LOG_LEVEL (`info` is Nest's `log`, `trace` its `verbose`); false silences it. */
export function nestLogLevels(level: LogLevel): NestLogLevel[] | false {
  if (level === 'silent') return false;
  const position = { fatal: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 }[level];
  return NEST_LEVELS.slice(0, position + 1);
}
