import { Injectable, Logger } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Client, Provider } from 'oidc-provider';
import { RateLimiterAbstract } from 'rate-limiter-flexible';
import { InjectAppConfig } from '@baton/config';
import { authServerConfig, AuthServerConfig } from '../config/auth-server.config';
import { InjectOidcProvider, OIDC_ROUTES } from '../oidc/oidc.constants';
import { onGrantTypeCheck } from './authenticated-client.hook';
import { clientAddress } from './client-address';
import { RateLimiterFactory } from './rate-limiter.factory';
import { TokenBucket } from './token-bucket';
import { TokenRateLimitedError } from './token-rate-limited.error';

type KoaMiddleware = Parameters<Provider['use']>[0];
type KoaContext = Parameters<KoaMiddleware>[0];
type KoaNext = Parameters<KoaMiddleware>[1];

/**
 * The endpoints where clients authenticate (RFC 6749 §2.3), so where secrets can be guessed: the
 * failed-authentication limit covers all three, the request budget the token endpoint only.
 */
const CLIENT_AUTHENTICATING_PATHS: ReadonlySet<string> = new Set([OIDC_ROUTES.token, OIDC_ROUTES.introspection, OIDC_ROUTES.revocation]);

/** What the token endpoint knows about the request being answered. */
interface TokenRequest {
  readonly address: string;
  /** Whether this request has taken from a client budget already (one request, one token), or takes none. */
  charged: boolean;
  retryAfterSeconds?: number;
}

/**
 * Abuse limits of the token endpoint, both answered `429 temporarily_unavailable` with `Retry-After`:
 *
 * - Failed client authentications per source address (AUTH_SERVER_CLIENT_AUTH_*): an address
 *   that sent too many wrong secrets or unknown client ids is refused before any client lookup.
 *   Introspection and revocation authenticate clients too, so they count and are refused alike.
 * - Requests per client (AUTH_SERVER_TOKEN_RATE_PER_CLIENT, ..._BURST_PER_CLIENT), taken only once
 *   oidc-provider has authenticated the client and before the grant runs, so someone who does not
 *   know a client's secret cannot spend its budget. A public client authenticates nothing (anyone
 *   may send its client_id), so its budget is per client and address: garbage refresh tokens sent
 *   as demo-app from one address spend that address's budget, not every demo-app user's.
 *
 * Every grant type counts. Intervals run on the monotonic clock: a wall-clock step changes nothing.
 */
@Injectable()
export class TokenEndpointLimits {
  private readonly logger = new Logger(TokenEndpointLimits.name);
  private readonly budgets: TokenBucket;
  private readonly authFailures: RateLimiterAbstract | undefined;
  private readonly requests = new AsyncLocalStorage<TokenRequest>();

  constructor(
    @InjectAppConfig(authServerConfig) config: AuthServerConfig,
    @InjectOidcProvider() provider: Provider,
    limiters: RateLimiterFactory,
  ) {
    this.budgets = new TokenBucket(config.tokenRatePerClient, config.tokenBurstPerClient);
    this.authFailures = limiters.create('client-auth-address', config.clientAuthMaxFailuresPerAddress, config.clientAuthFailureWindowSeconds);
    // Here, not in an OidcExtension's register(): oidc-provider composes its Koa middleware when
    // OidcHttpMiddleware takes `provider.callback()`, which Nest does before any lifecycle hook, so
    // a middleware added later would never run.
    provider.use((ctx, next) => this.limit(ctx, next, provider.proxy));
    onGrantTypeCheck(provider, (client) => this.charge(client));
  }

  private async limit(ctx: KoaContext, next: KoaNext, trustProxy: boolean): Promise<void> {
    if (ctx.method !== 'POST' || !CLIENT_AUTHENTICATING_PATHS.has(ctx.path)) {
      await next();
      return;
    }
    const address = clientAddress(ctx.req, trustProxy);
    const failures = this.authFailures === undefined ? null : await this.authFailures.get(address);
    if (failures !== null && this.authFailures !== undefined && failures.consumedPoints >= this.authFailures.points) {
      const wait = secondsUntil(failures.msBeforeNext);
      this.logger.warn({ event: 'client_auth_throttled', retryAfter: wait });
      refuse(ctx, wait, `too many failed client authentications from this address; retry after ${wait} s`);
      return;
    }
    // Only token requests take from a client's budget.
    const request: TokenRequest = { address, charged: ctx.path !== OIDC_ROUTES.token };
    await this.requests.run(request, next);
    if (request.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(request.retryAfterSeconds));
    // Counted once the answer is known; wrong secrets sent at once are all checked before the first
    // is counted, which is harmless for secrets (unguessable) and bounded by the sender's concurrency.
    if (ctx.status === 401 && (ctx.body as { error?: unknown } | undefined)?.error === 'invalid_client') {
      await this.authFailures?.penalty(address);
    }
  }

  /** Called once the token endpoint has authenticated `client`: one token from its budget. */
  private charge(client: Client): void {
    const request = this.requests.getStore();
    if (request === undefined || request.charged) return;
    request.charged = true;
    const key = client.clientAuthMethod === 'none' ? `${client.clientId} ${request.address}` : client.clientId;
    const wait = this.budgets.take(key, performance.now());
    if (wait === undefined) return;
    request.retryAfterSeconds = wait;
    this.logger.warn({ event: 'token_rate_limited', client: client.clientId, retryAfter: wait });
    throw new TokenRateLimitedError(wait);
  }
}

function secondsUntil(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** The refusal an oidc-provider error would give (its error handler is not around this middleware). */
function refuse(ctx: KoaContext, retryAfterSeconds: number, description: string): void {
  ctx.status = 429;
  ctx.set('Retry-After', String(retryAfterSeconds));
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: 'temporarily_unavailable', error_description: description };
}
