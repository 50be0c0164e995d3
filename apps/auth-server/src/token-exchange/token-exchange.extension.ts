import { Injectable } from '@nestjs/common';
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { DeclarativeConfigService } from '../declarative-config/declarative-config.service';
import { OidcExtension, OidcExtensionHooks, IssuedToken } from '../oidc/oidc-extension';
import { SigningKeysService } from '../keys/signing-keys.service';
import { AuthServerMetrics } from '../metrics/auth-server.metrics';
import { ResourceServersService } from '../oidc/resource-servers.service';
import { exchangeTokenClaims } from './exchange-token-claims';
import { registerTokenExchangeGrant } from './register-token-exchange-grant';
import { TokenExchangeAudit } from './token-exchange.audit';

/**
 * Plugs the token-exchange grant into the auth server's Provider: the declarative file gives the
 * per-client policies and the targets, the signing keys service the JWKS to verify subject tokens,
 * the resource servers service how tokens for a target are formatted and signed; every audit
 * entry is also counted by the metrics.
 */
@OidcExtension()
@Injectable()
export class TokenExchangeExtension implements OidcExtensionHooks {
  constructor(
    private readonly declarativeConfig: DeclarativeConfigService,
    private readonly signingKeys: SigningKeysService,
    private readonly resourceServers: ResourceServersService,
    private readonly metrics: AuthServerMetrics,
  ) {}

  register(provider: Provider): void {
    registerTokenExchangeGrant(provider, {
      audit: new TokenExchangeAudit(undefined, (entry) => this.metrics.countExchange(entry)),
      issuer: provider.issuer,
      publicJwks: () => this.signingKeys.publicJwks().keys,
      policyFor: (clientId) => this.declarativeConfig.client(clientId)?.tokenExchange,
      targets: this.declarativeConfig.resourceServers,
      // Signed like every other access token for that resource server.
      resourceServerInfo: (target) => this.resourceServers.infoFor(target),
    });
  }

  extraTokenClaims(_ctx: KoaContextWithOIDC, token: IssuedToken): Record<string, unknown> | undefined {
    const claims = exchangeTokenClaims(token);
    return claims === undefined ? undefined : { ...claims };
  }
}
