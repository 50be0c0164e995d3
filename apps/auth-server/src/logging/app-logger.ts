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
 * ConsoleLogger that leaves errors thrown while Nest builds the app to main.ts: Nest's
 * ExceptionHandler would log them with a stack trace (a bad configuration, a database that cannot
 * be reached at start) before main.ts prints its one line. `abortOnError: false` makes every such
 * error reach main.ts, and the ExceptionHandler logs nothing else.
 */
class AppLogger extends ConsoleLogger {
  override error(message: unknown, ...rest: unknown[]): void {
    if (rest.at(-1) === 'ExceptionHandler') return;
    super.error(message, ...rest);
  }
}

/**
 * The app's logger from LOG_LEVEL and LOG_FORMAT: one JSON object per line for machines,
 * coloured lines for people. `false` silences Nest entirely.
 */
export function createAppLogger(options: { level: LogLevel; format: 'json' | 'pretty' }): LoggerService | false {
  if (options.level === 'silent') return false;
  return new AppLogger('auth-server', {
    logLevels: NEST_LEVELS[options.level],
    json: options.format === 'json',
    colors: options.format === 'pretty',
    prefix: 'auth-server',
  });
}
