import { LoggerService } from '@nestjs/common';

/** Drops Nest log output in tests that provoke errors on purpose. */
export const silentLogger: LoggerService = {
  log: () => undefined,
  error: () => undefined,
  warn: () => undefined,
  debug: () => undefined,
  verbose: () => undefined,
};
