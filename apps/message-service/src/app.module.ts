import { Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { appConfigModule } from '@baton/config';
import {
  ApiExceptionFilter,
  ApiValidationPipe,
  HealthModule,
  ResourceServerModule,
  resourceServerOptionsFromConfig,
} from '@baton/resource-server';
import { messageServiceConfig, MessageServiceConfig } from './config/message-service.config';
import { MessagesModule } from './messages/messages.module';

@Module({
  imports: [
    appConfigModule(messageServiceConfig),
    ResourceServerModule.forRootAsync({
      inject: [messageServiceConfig.KEY],
      useFactory: (config: MessageServiceConfig) =>
        resourceServerOptionsFromConfig(config, { audience: config.audience, realm: 'message-service' }),
    }),
    HealthModule,
    MessagesModule,
  ],
  providers: [
    { provide: APP_FILTER, useClass: ApiExceptionFilter },
    { provide: APP_PIPE, useClass: ApiValidationPipe },
  ],
})
export class AppModule {}
