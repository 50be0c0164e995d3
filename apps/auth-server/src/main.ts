import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfigOrExit } from '@baton/config';
import { AppModule } from './app.module';
import { authServerAppOptions } from './app-options';
import { authServerConfig } from './config/auth-server.config';
import { DeclarativeConfigError } from './declarative-config/declarative-config.error';
import { loadDeclarativeConfigOrExit } from './declarative-config/load-declarative-config';
import { KeyMaterialError } from './keys/key-material.error';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit(authServerConfig);
  loadDeclarativeConfigOrExit(config.configFile);
  const app = await NestFactory.create(AppModule, authServerAppOptions(config));
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  new Logger('Bootstrap').log(`auth-server listening on ${await app.getUrl()} (issuer ${config.issuer})`);
}

bootstrap().catch((error: unknown) => {
  if (error instanceof KeyMaterialError) {
    process.stderr.write(`Invalid keys: ${error.message}\n`);
  } else if (error instanceof DeclarativeConfigError) {
    process.stderr.write(`Invalid configuration file ${error.message}\n`);
  } else {
    process.stderr.write(`auth-server failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
