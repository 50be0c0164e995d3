import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { appConfigModule } from '@baton/config';
import { ObservabilityModule, observabilityOptionsFromConfig } from '@baton/observability';
import { authServerConfig, AuthServerConfig } from './config/auth-server.config';
import { AppExceptionFilter } from './errors/app-exception.filter';
import { AuthServerReadinessCheck } from './health/auth-server-readiness.check';
import { HealthModule } from './health/health.module';
import { InteractionModule } from './interaction/interaction.module';
import { MetricsModule } from './metrics/metrics.module';
import { OidcModule } from './oidc/oidc.module';
import { oidcRouteOf } from './oidc/oidc-route';
import { TokenExchangeGrantModule } from './token-exchange';

/**
 * The auth server: oidc-provider (OidcModule) with its login and consent pages, observability
 * (logs, /metrics, /health/live, /health/ready) and metrics. Features extend the provider by
 * importing their module here and marking an injectable with `@OidcExtension()` (see
 * oidc/oidc-extension.ts).
 */
@Module({
  imports: [
    appConfigModule(authServerConfig),
    ObservabilityModule.forRootAsync({
      inject: [authServerConfig.KEY],
      useFactory: (config: AuthServerConfig) =>
        observabilityOptionsFromConfig(config, {
          service: 'auth-server',
          readiness: [AuthServerReadinessCheck],
          routeOf: oidcRouteOf,
        }),
    }),
    OidcModule,
    InteractionModule,
    HealthModule,
    MetricsModule,
    TokenExchangeGrantModule,
  ],
  providers: [{ provide: APP_FILTER, useClass: AppExceptionFilter }],
})
export class AppModule {}
