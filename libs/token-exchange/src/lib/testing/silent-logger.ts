import { LoggerService } from '@nestjs/common';

/** Drops Nest log output in tests that provoke errors on purpose: `Test.createTestingModule(...).setLogger(silentLogger)`. */
export const silentLogger: LoggerService = {
  log: () => undefined,
  error: () => undefined,
  warn: () => undefined,
  debug: () => undefined,
  verbose: () => undefined,
};
