import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfigOrExit } from '@baton/config';
import { AppModule } from './app.module';
import { messageServiceConfig } from './config/message-service.config';
import { nestLogLevels } from './logging/nest-log-levels';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit(messageServiceConfig);
  const app = await NestFactory.create(AppModule, { logger: nestLogLevels(config.logLevel) });
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  new Logger('MessageService').log(
    `message-service listening on ${await app.getUrl()} (audience ${config.audience}, issuer ${config.authIssuer}, database ${config.database})`,
  );
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `message-service failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
