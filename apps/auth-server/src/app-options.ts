import { NestApplicationOptions } from '@nestjs/common';
import { AuthServerConfig } from './config/auth-server.config';
import { createAppLogger } from './logging/app-logger';

/**
 * Options every auth-server Nest application is created with, in main.ts and in tests alike.
 * No body parser: oidc-provider reads its own request bodies (a parsed body makes it warn and
 * re-serialise), and the login forms have their own small parser.
 */
export function authServerAppOptions(config: Pick<AuthServerConfig, 'logLevel' | 'logFormat'>): NestApplicationOptions {
  return {
    bodyParser: false,
    // Start-up failures are thrown to main.ts, which prints one line, instead of aborting the process.
    abortOnError: false,
    // Nest logs through pino once main.ts calls useStructuredLogs(app); until then they are kept,
    // and if the app fails to start they go to this logger, which leaves configuration errors
    // to main.ts's one line.
    bufferLogs: true,
    logger: createAppLogger({ level: config.logLevel, format: config.logFormat }),
  };
}
