import { Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { appConfigModule } from '@baton/config';
import { ObservabilityModule, observabilityOptionsFromConfig } from '@baton/observability';
import { ApiExceptionFilter, resourceServerOptionsFromConfig } from '@baton/http-api';
import { DpopReplayStore, JwksReadinessCheck, ResourceServerModule } from '@baton/resource-server';
import { messageServiceConfig, MessageServiceConfig } from './config/message-service.config';
import { dpopOptionsFromConfig } from './config/dpop-options';
import { DatabaseReadinessCheck } from './database/database-readiness.check';
import { DatabaseModule, DPOP_REPLAY_STORE } from './database/database.module';
import { MessagesModule } from './messages/messages.module';
import { MessageServiceMetrics } from './metrics/message-service.metrics';
import { MessageServiceValidationPipe } from './validation/message-service-validation.pipe';

@Module({
  imports: [
    appConfigModule(messageServiceConfig),
    // Logs, request ids, /metrics, /health/live and /health/ready (ready: keys fetched, database answers).
    ObservabilityModule.forRootAsync({
      inject: [messageServiceConfig.KEY],
      useFactory: (config: MessageServiceConfig) =>
        observabilityOptionsFromConfig(config, {
          service: 'message-service',
          readiness: [JwksReadinessCheck, DatabaseReadinessCheck],
        }),
    }),
    ResourceServerModule.forRootAsync({
      // The DPoP replay store lives on the message database (PostgreSQL: shared by replicas).
      imports: [DatabaseModule],
      inject: [messageServiceConfig.KEY, DPOP_REPLAY_STORE],
      useFactory: (config: MessageServiceConfig, replayStore: DpopReplayStore) => ({
        ...resourceServerOptionsFromConfig(config, {
          audience: config.audience,
          realm: 'message-service',
          defaultResource: `http://localhost:${config.port}`,
        }),
        dpop: dpopOptionsFromConfig(config, replayStore),
      }),
    }),
    MessagesModule,
  ],
  providers: [
    // Every route needs an access token for message-service unless @Public() (then @Scopes).
    ...ResourceServerModule.globalGuards(),
    // The one exception filter: it also sets the headers the packages' errors carry.
    { provide: APP_FILTER, useClass: ApiExceptionFilter },
    // Baton's validation pipe, without class-validator for a request that has no query.
    { provide: APP_PIPE, useClass: MessageServiceValidationPipe },
    MessageServiceMetrics,
  ],
})
export class AppModule {}
