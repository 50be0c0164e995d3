import { appConfigModule } from '@baton/config';
import {
  ApiExceptionFilter,
  ApiValidationPipe,
  HealthModule,
  ResourceServerModule,
} from '@baton/resource-server';
import { TokenExchangeModule } from '@baton/token-exchange';
import { Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { USER_SERVICE_AUDIENCE, UserServiceConfig, userServiceConfig } from './config/user-service.config';
import { MESSAGE_SERVICE } from './users/message-service.client';
import { UsersModule } from './users/users.module';

/** Composition: configuration, resource server (audience user-service), token exchange, routes. */
@Module({
  imports: [
    appConfigModule(userServiceConfig),
    ResourceServerModule.forRootAsync({
      inject: [userServiceConfig.KEY],
      useFactory: (config: UserServiceConfig) => ({
        issuer: config.authIssuer,
        audience: USER_SERVICE_AUDIENCE,
        jwksUri: config.authJwksUri || undefined,
        algorithms: config.authAlgorithms,
        clockToleranceSeconds: config.authClockToleranceSeconds,
      }),
    }),
    TokenExchangeModule.forRootAsync({
      inject: [userServiceConfig.KEY],
      useFactory: (config: UserServiceConfig) => ({
        issuer: config.authIssuer,
        tokenEndpoint: config.authTokenEndpoint || undefined,
        clientId: config.tokenExchangeClientId,
        clientSecret: config.tokenExchangeClientSecret,
        timeoutMs: config.tokenExchangeTimeoutMs,
        cacheSize: config.tokenExchangeCacheSize,
        cacheEnabled: config.tokenExchangeCacheEnabled,
        downstreams: {
          [MESSAGE_SERVICE]: {
            baseUrl: config.messageServiceUrl,
            audience: config.messageServiceAudience,
            timeoutMs: config.downstreamTimeoutMs,
          },
        },
      }),
    }),
    HealthModule,
    UsersModule,
  ],
  providers: [
    { provide: APP_FILTER, useClass: ApiExceptionFilter },
    { provide: APP_PIPE, useClass: ApiValidationPipe },
  ],
})
export class AppModule {}
