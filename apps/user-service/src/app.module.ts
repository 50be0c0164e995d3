import { appConfigModule } from '@baton/config';
import { ObservabilityModule, observabilityOptionsFromConfig, RequestContext } from '@baton/observability';
import { ApiExceptionFilter, ApiValidationPipe, resourceServerOptionsFromConfig } from '@baton/http-api';
import { JwksReadinessCheck, ResourceServerModule } from '@baton/resource-server';
import { TokenExchangeModule } from '@baton/token-exchange';
import { Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { tokenExchangeClientAuthentication } from './config/token-exchange-client-authentication';
import { tokenExchangeDpop } from './config/token-exchange-dpop';
import { USER_SERVICE_AUDIENCE, UserServiceConfig, userServiceConfig } from './config/user-service.config';
import { TokenEndpointReadinessCheck } from './health/token-endpoint-readiness.check';
import { UserServiceMetrics } from './metrics/user-service.metrics';
import { MESSAGE_SERVICE } from './users/message-service.client';
import { UsersModule } from './users/users.module';

/** Composition: configuration, observability, resource server (audience user-service), token exchange, routes. */
@Module({
  imports: [
    appConfigModule(userServiceConfig),
    // Logs, request ids, /metrics, /health/live and /health/ready (ready: keys fetched, token endpoint answers).
    ObservabilityModule.forRootAsync({
      inject: [userServiceConfig.KEY],
      useFactory: (config: UserServiceConfig) =>
        observabilityOptionsFromConfig(config, {
          service: 'user-service',
          readiness: [JwksReadinessCheck, TokenEndpointReadinessCheck],
        }),
    }),
    ResourceServerModule.forRootAsync({
      inject: [userServiceConfig.KEY],
      useFactory: (config: UserServiceConfig) =>
        resourceServerOptionsFromConfig(config, {
          audience: USER_SERVICE_AUDIENCE,
          defaultResource: `http://localhost:${config.port}`,
        }),
    }),
    TokenExchangeModule.forRootAsync({
      inject: [userServiceConfig.KEY, RequestContext],
      useFactory: (config: UserServiceConfig, requestContext: RequestContext) => ({
        issuer: config.authIssuer,
        tokenEndpoint: config.authTokenEndpoint || undefined,
        clientId: config.tokenExchangeClientId,
        // client_secret_basic by default; client_secret_post or private_key_jwt by configuration.
        clientAuthentication: tokenExchangeClientAuthentication(config),
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
        // DPoP (RFC 9449) by default: exchanged tokens are bound to this service's key, so a copy
        // of one (from a log line, a heap dump) is useless to anyone else.
        dpop: tokenExchangeDpop(config),
        // The request id of the call being served goes on to the auth server and message-service.
        requestHeaders: () => requestContext.outgoingHeaders(),
      }),
    }),
    UsersModule,
  ],
  providers: [
    // Every route needs an access token for user-service unless @Public() (then @Scopes).
    ...ResourceServerModule.globalGuards(),
    // The one exception filter: it also sets the headers the packages' errors carry.
    { provide: APP_FILTER, useClass: ApiExceptionFilter },
    { provide: APP_PIPE, useClass: ApiValidationPipe },
    TokenEndpointReadinessCheck,
    UserServiceMetrics,
  ],
})
export class AppModule {}
