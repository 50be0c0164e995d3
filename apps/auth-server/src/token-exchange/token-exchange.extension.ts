import { Injectable } from '@nestjs/common';
import { exchangeTokenClaims, registerTokenExchange } from '@baton/oidc-provider-token-exchange';
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { DeclarativeConfigService } from '../declarative-config/declarative-config.service';
import { OidcExtension, OidcExtensionHooks, IssuedToken } from '../oidc/oidc-extension';
import { SigningKeysService } from '../keys/signing-keys.service';
import { AuthServerMetrics } from '../metrics/auth-server.metrics';
import { DpopSettings } from '../oidc/dpop-settings';
import { ResourceServersService } from '../oidc/resource-servers.service';
import { checkSubjectGrant } from './check-subject-grant';
import { tokenExchangeAuditSink } from './token-exchange-audit.sink';
import { listenToTokenExchangeOutcomes } from './token-exchange-outcome.listener';

/**
 * Plugs the token-exchange grant into the auth server's Provider: the declarative file gives the
 * per-client policies and the targets, the signing keys service the JWKS to verify subject tokens,
 * the resource servers service how tokens for a target are formatted and signed, the grant
 * references whether a user's grant still lives; audit entries become log lines and are counted
 * by the metrics. This server's own outcome listener replaces the package's default one: it also
 * answers as RFC 6749 says where oidc-provider says `invalid_request`.
 */
@OidcExtension()
@Injectable()
export class TokenExchangeExtension implements OidcExtensionHooks {
  constructor(
    private readonly declarativeConfig: DeclarativeConfigService,
    private readonly signingKeys: SigningKeysService,
    private readonly resourceServers: ResourceServersService,
    private readonly metrics: AuthServerMetrics,
    private readonly dpop: DpopSettings,
  ) {}

  register(provider: Provider): void {
    registerTokenExchange(provider, {
      audit: tokenExchangeAuditSink((entry) => this.metrics.countExchange(entry)),
      listenToOutcomes: listenToTokenExchangeOutcomes,
      issuer: provider.issuer,
      publicJwks: () => this.signingKeys.publicJwks().keys,
      policyFor: (clientId) => this.declarativeConfig.client(clientId)?.tokenExchange,
      targets: this.declarativeConfig.resourceServers,
      // Signed like every other access token for that resource server.
      resourceServerInfo: (target) => this.resourceServers.infoFor(target),
      checkSubject: checkSubjectGrant,
      // The same algorithms, iat window and nonce secret as the provider's own grants.
      dpop: this.dpop.options,
    });
  }

  extraTokenClaims(_ctx: KoaContextWithOIDC, token: IssuedToken): Record<string, unknown> | undefined {
    const claims = exchangeTokenClaims(token);
    return claims === undefined ? undefined : { ...claims };
  }
}
