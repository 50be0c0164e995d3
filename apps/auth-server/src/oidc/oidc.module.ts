import { Module, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryModule, HttpAdapterHost } from '@nestjs/core';
import type { Provider } from 'oidc-provider';
import { RequestContextMiddleware, serveBeforeFramework } from '@baton/observability';
import { AccountsModule } from '../accounts/accounts.module';
import { DeclarativeConfigError } from '../declarative-config/declarative-config.error';
import { DeclarativeConfigModule } from '../declarative-config/declarative-config.module';
import { DeclarativeConfigService } from '../declarative-config/declarative-config.service';
import { KeysModule } from '../keys/keys.module';
import { PersistenceModule } from '../persistence/persistence.module';
import { InjectOidcProvider, OIDC_PROVIDER } from './oidc.constants';
import { DpopSettings } from './dpop-settings';
import { OidcExtensionsService } from './oidc-extensions.service';
import { OidcFrontRoutes } from './oidc-front-routes';
import { OidcProviderFactory } from './oidc-provider.factory';
import { ResourceServersService } from './resource-servers.service';

/**
 * oidc-provider inside Nest: the `Provider` (token OIDC_PROVIDER), serving `/oauth2/*` and
 * discovery ahead of Express (OidcFrontRoutes), with `@OidcExtension()` injectables registered
 * into it before the server listens.
 */
@Module({
  imports: [DiscoveryModule, DeclarativeConfigModule, KeysModule, PersistenceModule, AccountsModule],
  providers: [
    OidcExtensionsService,
    ResourceServersService,
    DpopSettings,
    OidcProviderFactory,
    OidcFrontRoutes,
    {
      provide: OIDC_PROVIDER,
      useFactory: (factory: OidcProviderFactory): Provider => factory.create(),
      inject: [OidcProviderFactory],
    },
  ],
  exports: [OIDC_PROVIDER, ResourceServersService, DpopSettings],
})
export class OidcModule implements OnApplicationBootstrap {
  constructor(
    @InjectOidcProvider() private readonly provider: Provider,
    private readonly extensions: OidcExtensionsService,
    private readonly declarativeConfig: DeclarativeConfigService,
    private readonly frontRoutes: OidcFrontRoutes,
    private readonly adapterHost: HttpAdapterHost,
    private readonly requestTracking: RequestContextMiddleware,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const extension of this.extensions.all) {
      await extension.register?.(this.provider);
    }
    await this.checkClients();
    this.frontRoutes.listen();
    serveBeforeFramework(this.adapterHost, this.requestTracking, this.frontRoutes);
  }

  /**
   * oidc-provider validates a static client at its first request; validating all of them now
   * turns a client the provider cannot serve (say, a grant type no extension registered) into a
   * start-up error instead of a 400 for every request of that client.
   */
  private async checkClients(): Promise<void> {
    for (const { clientId } of this.declarativeConfig.clients) {
      try {
        await this.provider.Client.find(clientId);
      } catch (error) {
        const { error_description: description, message } = error as { error_description?: string; message: string };
        const problem = description ?? message;
        const hint = problem.includes('grant_types') ? ' (is the feature providing that grant type installed?)' : '';
        throw new DeclarativeConfigError(`client ${clientId}`, `${problem}${hint}`, this.declarativeConfig.config.source);
      }
    }
  }
}
