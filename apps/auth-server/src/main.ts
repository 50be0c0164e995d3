import { NestFactory } from '@nestjs/core';
import { loadConfigOrExit, summarizeConfig } from '@baton/config';
import { enableGracefulShutdown, logServiceStarted, useHttpHygiene, useStructuredLogs } from '@baton/observability';
import { AppModule } from './app.module';
import { authServerAppOptions } from './app-options';
import { authServerConfig } from './config/auth-server.config';
import { DeclarativeConfigError } from './declarative-config/declarative-config.error';
import { loadDeclarativeConfigOrExit } from './declarative-config/load-declarative-config';
import { KeyMaterialError } from './keys/key-material.error';
import { refuseUnsafeProductionOrExit } from './production/production-readiness';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit(authServerConfig);
  await refuseUnsafeProductionOrExit(config, loadDeclarativeConfigOrExit(config.configFile));
  const app = await NestFactory.create(AppModule, authServerAppOptions(config));
  useStructuredLogs(app);
  enableGracefulShutdown(app);
  // Caching is decided per endpoint here (oidc-provider's answers, the sign-in pages), so only the
  // framework's name goes.
  useHttpHygiene(app);
  await app.listen(config.port, config.host);
  await logServiceStarted(app, summarizeConfig(authServerConfig.schema, config));
}

bootstrap().catch((error: unknown) => {
  if (error instanceof KeyMaterialError) {
    process.stderr.write(`Invalid keys: ${error.message}\n`);
  } else if (error instanceof DeclarativeConfigError) {
    process.stderr.write(`Invalid configuration file ${error.message}\n`);
  } else {
    process.stderr.write(`auth-server failed to start: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
  }
  process.exit(1);
});
