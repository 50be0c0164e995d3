import { INestApplication, Logger as NestLogger } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { RESOLVED_OBSERVABILITY_OPTIONS } from '../observability.module-definition';
import type { ResolvedObservabilityOptions } from '../observability.options';
import { GracefulShutdown } from '../shutdown/graceful-shutdown';
import { keepWarmAfterIdle, releaseStartupMemory } from './release-startup-memory';

/*
 * The three calls main.ts makes around `listen()`:
 *
 *   const app = await NestFactory.create(AppModule, { bufferLogs: true });
 *   useStructuredLogs(app);
 *   enableGracefulShutdown(app);
 *   await app.listen(config.port, config.host);
 *   await logServiceStarted(app, summarizeConfig(appConfig.schema, config));
 */

/** Nest's own logs (and every `new Logger(...)`) go through pino from now on, the buffered ones first. */
export function useStructuredLogs(app: INestApplication): void {
  app.useLogger(app.get(Logger));
}

/** Instead of `app.enableShutdownHooks()`: SIGTERM / SIGINT stop the service gracefully and exit 0. */
export function enableGracefulShutdown(app: INestApplication): void {
  app.get(GracefulShutdown).install(app);
}

/**
 * The one start-up line: service, version, URL and the configuration summary (from
 * `summarizeConfig`, secrets masked), e.g. `message-service 0.0.1 listening on http://127.0.0.1:8081`.
 * Starting is over here: the memory it took is given back first (`releaseStartupMemory`), and from
 * now on a quiet spell no longer costs the next burst its warm-up (`keepWarmAfterIdle`).
 */
export async function logServiceStarted(app: INestApplication, configuration: Record<string, unknown>): Promise<void> {
  const options = app.get<ResolvedObservabilityOptions>(RESOLVED_OBSERVABILITY_OPTIONS);
  const url = await app.getUrl();
  releaseStartupMemory();
  keepWarmAfterIdle();
  new NestLogger('Bootstrap').log(
    { url, configuration },
    `${options.service} ${options.version} listening on ${url}`,
  );
}
