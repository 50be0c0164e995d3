import { loadConfigOrExit } from '@baton/config';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { userServiceConfig } from './config/user-service.config';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit(userServiceConfig);
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  new Logger('UserService').log(`user-service listening on ${await app.getUrl()} (audience user-service)`);
}

void bootstrap();
