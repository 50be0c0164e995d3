import { Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { appConfigModule } from '@baton/config';
import { ObservabilityModule, observabilityOptionsFromConfig } from '@baton/observability';
import {
  ApiExceptionFilter,
  ApiValidationPipe,
  JwksReadinessCheck,
  ResourceServerModule,
  resourceServerOptionsFromConfig,
} from '@baton/resource-server';
import { messageServiceConfig, MessageServiceConfig } from './config/message-service.config';
import { DatabaseReadinessCheck } from './database/database-readiness.check';
import { MessagesModule } from './messages/messages.module';
import { MessageServiceMetrics } from './metrics/message-service.metrics';

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
      inject: [messageServiceConfig.KEY],
      useFactory: (config: MessageServiceConfig) =>
        resourceServerOptionsFromConfig(config, {
          audience: config.audience,
          realm: 'message-service',
          defaultResource: `http://localhost:${config.port}`,
        }),
    }),
    MessagesModule,
  ],
  providers: [
    { provide: APP_FILTER, useClass: ApiExceptionFilter },
    { provide: APP_PIPE, useClass: ApiValidationPipe },
    MessageServiceMetrics,
  ],
})
export class AppModule {}
