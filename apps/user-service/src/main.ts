import { loadConfigOrExit, summarizeConfig } from '@baton/config';
import { enableGracefulShutdown, logServiceStarted, serviceVersion, useHttpHygiene, useStructuredLogs } from '@baton/observability';
import { API_DOCS_JSON_PATH, API_DOCS_PATH, setUpApiDocs } from '@baton/http-api';
import { PROTECTED_RESOURCE_METADATA_PATH } from '@baton/resource-server';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { userServiceConfig } from './config/user-service.config';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit(userServiceConfig);
  const app = await NestFactory.create(AppModule, { bufferLogs: true });
  useStructuredLogs(app);
  enableGracefulShutdown(app);
  // Every answer is one caller's (or a refusal of one): no-store, but for the public documents.
  useHttpHygiene(app, { noStore: { except: [API_DOCS_PATH, API_DOCS_JSON_PATH, PROTECTED_RESOURCE_METADATA_PATH] } });
  setUpApiDocs(app, {
    title: 'user-service',
    description:
      "The caller's identity and messages. Every route needs an access token whose audience is user-service; " +
      'messages are fetched from message-service with a token exchanged for the caller (RFC 8693).',
    version: serviceVersion(),
  });
  await app.listen(config.port, config.host);
  await logServiceStarted(app, summarizeConfig(userServiceConfig.schema, config));
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`user-service failed to start: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
  process.exit(1);
});
