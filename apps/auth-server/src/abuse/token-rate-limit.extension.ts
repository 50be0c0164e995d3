import { Injectable, Logger } from '@nestjs/common';
import type { Client, Provider } from 'oidc-provider';
import { InjectAppConfig } from '@baton/config';
import { authServerConfig, AuthServerConfig } from '../config/auth-server.config';
import { OidcExtension, OidcExtensionHooks } from '../oidc/oidc-extension';
import { TokenBucket } from './token-bucket';
import { TokenRateLimitedError } from './token-rate-limited.error';

type OidcContext = InstanceType<Provider['OIDCContext']>;

/**
 * Token endpoint requests per client (AUTH_SERVER_TOKEN_RATE_PER_CLIENT, ..._BURST_PER_CLIENT):
 * beyond them, `429 temporarily_unavailable` with `Retry-After`. The count is taken the moment
 * oidc-provider has identified the client, before its secret is checked, so guessing a client's
 * secret is limited too, and before any grant work is done. Every grant type counts (client
 * credentials, exchanges, codes, refreshes).
 */
@OidcExtension()
@Injectable()
export class TokenRateLimitExtension implements OidcExtensionHooks {
  private readonly logger = new Logger('TokenRateLimit');
  private readonly buckets: TokenBucket;

  constructor(@InjectAppConfig(authServerConfig) config: AuthServerConfig) {
    this.buckets = new TokenBucket(config.tokenRatePerClient, config.tokenBurstPerClient);
  }

  register(provider: Provider): void {
    const prototype = provider.OIDCContext.prototype as OidcContext;
    const setEntity = prototype.entity;
    const buckets = this.buckets;
    const logger = this.logger;
    // oidc-provider has no hook between identifying a client and authenticating it; its context's
    // `entity` setter (public in its typings) is where the client becomes known, on every route.
    prototype.entity = function entity(this: OidcContext, key: string, value: unknown): void {
      setEntity.call(this, key, value);
      if (key !== 'Client' || this.route !== 'token') return;
      const clientId = (value as Client).clientId;
      const wait = buckets.take(clientId, Date.now());
      if (wait === undefined) return;
      // The Koa context the OIDC context belongs to (set by its constructor; missing from the typings).
      (this as unknown as { ctx: { set(name: string, value: string): void } }).ctx.set('Retry-After', String(wait));
      logger.warn({ event: 'token_rate_limited', client: clientId, retryAfter: wait });
      throw new TokenRateLimitedError(wait);
    };
  }
}
