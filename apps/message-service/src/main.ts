import { NestFactory } from '@nestjs/core';
import { loadConfigOrExit, summarizeConfig } from '@baton/config';
import { enableGracefulShutdown, logServiceStarted, serviceVersion, useHttpHygiene, useStructuredLogs } from '@baton/observability';
import { API_DOCS_JSON_PATH, API_DOCS_PATH, setUpApiDocs } from '@baton/http-api';
import { PROTECTED_RESOURCE_METADATA_PATH } from '@baton/resource-server';
import { AppModule } from './app.module';
import { messageDatabaseForLogs, messageServiceConfig } from './config/message-service.config';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit(messageServiceConfig);
  const app = await NestFactory.create(AppModule, { bufferLogs: true });
  useStructuredLogs(app);
  enableGracefulShutdown(app);
  // Every answer is one caller's (or a refusal of one): no-store, but for the public documents.
  useHttpHygiene(app, { noStore: { except: [API_DOCS_PATH, API_DOCS_JSON_PATH, PROTECTED_RESOURCE_METADATA_PATH] } });
  setUpApiDocs(app, {
    title: 'message-service',
    description: 'Messages between users. Every route needs an access token whose audience is message-service.',
    version: serviceVersion(),
  });
  await app.listen(config.port, config.host);
  // The database setting is secret (a URL carries a password): show it without the password.
  const summary = { ...summarizeConfig(messageServiceConfig.schema, config), MESSAGE_SERVICE_DATABASE: messageDatabaseForLogs(config.database) };
  await logServiceStarted(app, summary);
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `message-service failed to start: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`,
  );
  process.exit(1);
});
