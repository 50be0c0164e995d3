import { Injectable } from '@nestjs/common';
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { TokenExchangeAuditEntry } from '@baton/dto';
import { MetricsService } from '@baton/observability';
import { DeclarativeConfigService } from '../declarative-config/declarative-config.service';
import { OidcExtension, OidcExtensionHooks } from '../oidc/oidc-extension';
import { providerRefusal } from '../oidc/provider-internals';

/** Grant types counted by name; anything else a client sends is `other` (labels stay a known set). */
const KNOWN_GRANT_TYPES = new Set([
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:token-exchange',
]);
const ERROR_CODE = /^[a-z_]{1,40}$/;

interface OAuthErrorLike {
  error?: unknown;
  error_description?: unknown;
}

/**
 * The auth server's own metrics, next to the HTTP ones every service has:
 * - `baton_token_requests_total{grant_type, result}`: every token endpoint request, `result`
 *   `success` or the OAuth error code answered (from oidc-provider's grant events);
 * - `baton_token_exchanges_total{client, target, result}`: every token exchange, `result`
 *   `granted` or the error code (from the exchange's audit entries).
 * Clients and targets not in the declarative configuration (or not resolved, for a refusal) are
 * counted as `unknown`: a label never takes a value a caller made up.
 */
@OidcExtension()
@Injectable()
export class AuthServerMetrics implements OidcExtensionHooks {
  private readonly tokenRequests;
  private readonly exchanges;

  constructor(
    metrics: MetricsService,
    private readonly declarativeConfig: DeclarativeConfigService,
  ) {
    this.tokenRequests = metrics.counter({
      name: 'baton_token_requests_total',
      help: 'Token endpoint requests by grant type and result (success or the OAuth error code)',
      labelNames: ['grant_type', 'result'],
    });
    this.exchanges = metrics.counter({
      name: 'baton_token_exchanges_total',
      help: 'Token exchanges (RFC 8693) by client, target audience and result (granted or the OAuth error code)',
      labelNames: ['client', 'target', 'result'],
    });
  }

  register(provider: Provider): void {
    provider.on('grant.success', (ctx: KoaContextWithOIDC) => this.countTokenRequest(ctx, 'success'));
    provider.on('grant.error', (ctx: KoaContextWithOIDC, error: OAuthErrorLike) => {
      const code = typeof error.error === 'string' ? error.error : 'server_error';
      // Counted as answered: the auth server turns this refusal into RFC 6749's unauthorized_client.
      this.countTokenRequest(ctx, providerRefusal(error) === 'grant_not_allowed' ? 'unauthorized_client' : code);
    });
    provider.on('server_error', (ctx: KoaContextWithOIDC) => {
      if (ctx.oidc?.route === 'token') this.countTokenRequest(ctx, 'server_error');
    });
  }

  /** Counts one audited exchange (the token-exchange grant calls this for each audit entry). */
  countExchange(entry: TokenExchangeAuditEntry): void {
    const client = entry.client !== undefined && this.declarativeConfig.client(entry.client) !== undefined ? entry.client : 'unknown';
    const target =
      entry.toAudience !== undefined && this.declarativeConfig.resourceServerByAudience(entry.toAudience) !== undefined
        ? entry.toAudience
        : 'unknown';
    this.exchanges.inc({ client, target, result: entry.result === 'granted' ? 'granted' : errorLabel(entry.error) });
  }

  private countTokenRequest(ctx: KoaContextWithOIDC, result: string): void {
    const grantType = ctx.oidc?.params?.['grant_type'];
    this.tokenRequests.inc({
      grant_type: typeof grantType === 'string' && KNOWN_GRANT_TYPES.has(grantType) ? grantType : 'other',
      result: errorLabel(result),
    });
  }
}

function errorLabel(code: string | undefined): string {
  return code !== undefined && ERROR_CODE.test(code) ? code : 'other';
}
