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
    logger: createAppLogger({ level: config.logLevel, format: config.logFormat }),
  };
}
