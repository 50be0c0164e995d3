import { ConsoleLogger, LoggerService, LogLevel as NestLogLevel } from '@nestjs/common';
import type { LogLevel } from '@baton/config';

const NEST_LEVELS: Record<Exclude<LogLevel, 'silent'>, NestLogLevel[]> = {
  fatal: ['fatal'],
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  trace: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/**
 * The app's logger from LOG_LEVEL and LOG_FORMAT: one JSON object per line for machines,
 * coloured lines for people. `false` silences Nest entirely.
 */
export function createAppLogger(options: { level: LogLevel; format: 'json' | 'pretty' }): LoggerService | false {
  if (options.level === 'silent') return false;
  return new ConsoleLogger('auth-server', {
    logLevels: NEST_LEVELS[options.level],
    json: options.format === 'json',
    colors: options.format === 'pretty',
    prefix: 'auth-server',
  });
}
