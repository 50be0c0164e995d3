import { Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { AccessTokenGuard } from './guards/access-token.guard';
import { ScopesGuard } from './guards/scopes.guard';
import { JwksKeyStore } from './jwks/jwks-key-store';
import { JwksReadinessCheck } from './jwks/jwks-readiness.check';
import { ProtectedResourceMetadataController } from './metadata/protected-resource-metadata.controller';
import {
  ResolvedResourceServerOptions,
  ResourceServerModuleOptions,
  resolveResourceServerOptions,
} from './resource-server-options';
import {
  ConfigurableResourceServerModule,
  RESOLVED_RESOURCE_SERVER_OPTIONS,
  RESOURCE_SERVER_MODULE_OPTIONS,
} from './resource-server.module-definition';
import { BatonJwtStrategy } from './strategy/baton-jwt.strategy';

/**
 * Makes the importing app an OAuth 2.0 resource server: every route requires a valid access
 * token from the configured issuer for the configured audience (global guards), `@Public()` opts
 * out, `@Scopes(...)` adds scope requirements, `@CurrentPrincipal()` gives the caller. With a
 * `resource` configured it publishes its protected resource metadata (RFC 9728).
 *
 * `ResourceServerModule.forRoot({ issuer, audience })` or `.forRootAsync({ inject, useFactory })`.
 */
@Module({
  // DiscoveryModule: the metadata document lists the scopes the app's routes require.
  imports: [DiscoveryModule],
  controllers: [ProtectedResourceMetadataController],
  providers: [
    {
      provide: RESOLVED_RESOURCE_SERVER_OPTIONS,
      inject: [RESOURCE_SERVER_MODULE_OPTIONS],
      useFactory: (options: ResourceServerModuleOptions) => resolveResourceServerOptions(options),
    },
    {
      provide: JwksKeyStore,
      inject: [RESOLVED_RESOURCE_SERVER_OPTIONS],
      useFactory: (options: ResolvedResourceServerOptions) => new JwksKeyStore(options),
    },
    BatonJwtStrategy,
    JwksReadinessCheck,
    // Order matters: the token is verified before its scopes are looked at.
    { provide: APP_GUARD, useClass: AccessTokenGuard },
    { provide: APP_GUARD, useClass: ScopesGuard },
  ],
  exports: [RESOLVED_RESOURCE_SERVER_OPTIONS, JwksKeyStore, JwksReadinessCheck],
})
export class ResourceServerModule extends ConfigurableResourceServerModule {}
