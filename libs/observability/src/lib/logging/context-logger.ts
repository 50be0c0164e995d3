import { Logger as NestLogger } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';

/** Structured lines under one context: `info` and `warn` take the line's fields. */
export interface ContextLogger {
  info(fields: object): void;
  warn(fields: object): void;
}

/**
 * A logger for one `context` (e.g. `TokenExchangeAudit`, which operators route on) that writes
 * each line straight through the app's pino logger: the same line as `new Logger(context).log()`
 * (the fields, `context`, the request id, credentials redacted), without the two layers Nest's
 * `Logger` and nestjs-pino's wrap around it nor the copy of the fields they make (a few µs per
 * line, for lines written on a hot path such as the audit line of every token exchange).
 * Before the app has its logger (unit tests, the first moments of start-up) lines go through
 * Nest's `Logger` instead.
 */
export function contextLogger(context: string): ContextLogger {
  const fallback = new NestLogger(context);
  let root: Logger | undefined;
  let child: Logger | undefined;
  // The app's logger, read at each line: a process that creates a second app (tests) moves on to it.
  const current = (): Logger | undefined => {
    const latest = PinoLogger.root as Logger | undefined;
    if (latest !== root) {
      root = latest;
      child = latest?.child({ context });
    }
    return child;
  };
  return {
    info(fields) {
      const logger = current();
      if (logger === undefined) fallback.log(fields);
      else logger.info(fields);
    },
    warn(fields) {
      const logger = current();
      if (logger === undefined) fallback.warn(fields);
      else logger.warn(fields);
    },
  };
}
