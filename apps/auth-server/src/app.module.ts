import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { appConfigModule } from '@baton/config';
import { authServerConfig } from './config/auth-server.config';
import { AppExceptionFilter } from './errors/app-exception.filter';
import { HealthModule } from './health/health.module';
import { InteractionModule } from './interaction/interaction.module';
import { OidcModule } from './oidc/oidc.module';
import { TokenExchangeModule } from './token-exchange';

/**
 * The auth server: oidc-provider (OidcModule) with its login and consent pages and health.
 * Features extend the provider by importing their module here and marking an injectable with
 * `@OidcExtension()` (see oidc/oidc-extension.ts).
 */
@Module({
  imports: [appConfigModule(authServerConfig), OidcModule, InteractionModule, HealthModule, TokenExchangeModule],
  providers: [{ provide: APP_FILTER, useClass: AppExceptionFilter }],
})
export class AppModule {}
