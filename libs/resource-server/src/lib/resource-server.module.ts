import { Module, Provider } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { SenderConstraint } from './dpop/sender-constraint';
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
import { AccessTokenVerifier } from './verification/access-token-verifier';

/**
 * Makes the importing app an OAuth 2.0 resource server for tokens of one issuer and one audience:
 * token verification (JWKS, RFC 9068), the `baton-jwt` Passport strategy, the guards it offers,
 * and with a `resource` configured its protected resource metadata (RFC 9728).
 *
 * Importing it protects nothing by itself: the app registers the guards, globally with
 * `providers: [...ResourceServerModule.globalGuards()]` (then `@Public()` opts a route out), or per
 * controller with `@UseGuards(AccessTokenGuard, ScopesGuard)`.
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
    AccessTokenVerifier,
    SenderConstraint,
    BatonJwtStrategy,
    JwksReadinessCheck,
  ],
  exports: [RESOLVED_RESOURCE_SERVER_OPTIONS, JwksKeyStore, AccessTokenVerifier, SenderConstraint, JwksReadinessCheck],
})
export class ResourceServerModule extends ConfigurableResourceServerModule {
  /**
   * The two guards as app-wide guards, in the order they must run (token, then scopes): spread
   * into the `providers` of the module that imports ResourceServerModule.
   */
  static globalGuards(): Provider[] {
    return [
      { provide: APP_GUARD, useClass: AccessTokenGuard },
      { provide: APP_GUARD, useClass: ScopesGuard },
    ];
  }
}
